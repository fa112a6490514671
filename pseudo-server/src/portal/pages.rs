//! The portal's pages (maud templates: every spliced value is HTML-escaped).

use maud::{html, Markup, DOCTYPE};
use pseudo_core::registry::{utc_date, AccessTokenRecord, Project, Request, RequestStatus, Role, TokenRecord};
use pseudo_core::wire::{PATH_PSEUDONYMISE, PATH_REVERSE};
use pseudo_core::{AuditEvent, Timestamp, TokenType, Treatment};

use super::{seg, shown_status, Ctx, Draft, CSRF_FIELD, ONCE_FIELD, SCRIPT_PATH, STYLE_PATH};
use crate::ops::role_name;

/// The token type a request wants, in words.
fn wanted_text(t: Option<TokenType>) -> &'static str {
    match t {
        None => "not said",
        Some(TokenType::Psn) => "pseudonymisation (psn)",
        Some(TokenType::Sec) => "secondary (sec)",
        Some(TokenType::Rev) => "reverse (rev)",
    }
}

/// A message above the project form.
pub(crate) enum Note {
    None,
    Error(String),
    RetentionEnd(Timestamp),
}

fn csrf(cx: &Ctx) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(cx.csrf); }
}

/// The CSRF token and the page's one-time value, for a form that makes a secret.
fn csrf_once(cx: &Ctx) -> Markup {
    html! { (csrf(cx)) input type="hidden" name=(ONCE_FIELD) value=(cx.once); }
}

fn layout(cx: Option<&Ctx>, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · pseudo" }
                link rel="stylesheet" href=(STYLE_PATH);
                script src=(SCRIPT_PATH) defer {}
            }
            body {
                header {
                    nav aria-label="Main" {
                        strong { "pseudo" }
                        @if let Some(cx) = cx {
                            a href="/projects" { "Projects" }
                            a href="/tokens" { "Tokens" }
                            a href="/access-tokens" { "Access tokens" }
                            @if cx.me.role == Role::Admin {
                                a href="/audit" { "Audit log" }
                            }
                            span.who {
                                "Signed in as " (cx.me.id) " (" (role_name(cx.me.role)) ", organisation "
                                (cx.me.organisation.to_string()) ")"
                            }
                            form.inline method="post" action="/signout" {
                                (csrf(cx))
                                button type="submit" id="signout" { "Sign out" }
                            }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

fn when(t: Timestamp) -> String {
    utc_date(t)
}

fn last_used(t: Option<Timestamp>) -> String {
    t.map_or_else(|| "Not used".to_owned(), utc_date)
}

pub(crate) fn problem(cx: Option<&Ctx>, message: &str) -> Markup {
    layout(
        cx,
        "Refused",
        html! {
            p.error role="alert" id="error" { (message) }
            p { a href=(if cx.is_some() { "/projects" } else { "/signin" }) { "Back" } }
        },
    )
}

/// The answer to a secret-making form sent a second time (a reload of the page that showed the
/// secret, or Back and resend): nothing was made.
pub(crate) fn already_sent(cx: &Ctx) -> Markup {
    layout(
        Some(cx),
        "Already sent",
        html! {
            p.error role="alert" id="error" {
                "This form was already sent, and what it made was shown then, once. Sending it again makes nothing: \
                 the token is in your lists. To make another, open the form again."
            }
            p { a href="/tokens" { "Your tokens" } " · " a href="/access-tokens" { "Your access tokens" } }
        },
    )
}

pub(crate) fn signin(token: &str, error: Option<&str>) -> Markup {
    layout(
        None,
        "Sign in",
        html! {
            @if let Some(e) = error { p.error role="alert" id="error" { (e) } }
            p { "Sign in with an access token (personal or service). It is checked once; the portal then keeps a session." }
            form method="post" action="/signin" {
                input type="hidden" name=(CSRF_FIELD) value=(token);
                label for="token" { "Access token" }
                input type="password" id="token" name="token" autocomplete="off" required;
                button type="submit" id="signin" { "Sign in" }
            }
        },
    )
}

fn method_text(p: &Project) -> &'static str {
    if p.config.method.is_reversible() {
        "reversible"
    } else {
        "not reversible"
    }
}

fn treatment_text(t: Treatment) -> &'static str {
    match t {
        Treatment::Same => "same",
        Treatment::Different => "always different",
    }
}

pub(crate) fn projects(cx: &Ctx, list: &[Project], d: &Draft, note: Note) -> Markup {
    let format = if d.format.is_empty() { "base64url" } else { d.format.as_str() };
    let treatment = if d.treatment.is_empty() { "same" } else { d.treatment.as_str() };
    layout(
        Some(cx),
        "Projects",
        html! {
            @if list.is_empty() {
                p { "No project yet." }
            } @else {
                table id="projects" {
                    thead { tr { th { "Project" } th { "Name" } th { "Method" } th { "Retention ends" } th { "Treatment" } th { "Format" } } }
                    tbody {
                        @for p in list {
                            tr {
                                td { a href={ "/projects/" (seg(p.id.as_str())) } { (p.id.as_str()) } }
                                td { (p.name) }
                                td { (method_text(p)) }
                                td { (when(p.config.retention_end)) }
                                td { (treatment_text(p.config.treatment)) }
                                td { (p.config.format.as_str()) }
                            }
                        }
                    }
                }
            }
            h2 { "Create a project" }
            @match &note {
                Note::None => {}
                Note::Error(e) => {
                    p.error role="alert" id="error" { (e) }
                }
                Note::RetentionEnd(end) => {
                    p.notice id="retention-end" role="status" {
                        "Retention would end on " strong { (when(*end)) } " if the project were created now."
                    }
                }
            }
            form method="post" action="/projects" id="create-project" {
                (csrf(cx))
                label for="id" { "Project id (letters, digits, no spaces)" }
                input type="text" id="id" name="id" value=(d.id) required;
                label for="name" { "Name (optional)" }
                input type="text" id="name" name="name" value=(d.name);
                fieldset {
                    legend { "Method" }
                    input type="radio" id="method-reversible" name="method" value="reversible" checked[d.reversible];
                    label for="method-reversible" { "Reversible: reverse tokens can undo pseudonyms until retention ends" }
                    input type="radio" id="method-not-reversible" name="method" value="not_reversible" checked[!d.reversible];
                    label for="method-not-reversible" { "Not reversible: pseudonyms can never be undone" }
                }
                fieldset {
                    legend { "Retention from today" }
                    label for="years" { "Years" }
                    input type="number" id="years" name="years" min="0" value=(d.years);
                    label for="months" { "Months" }
                    input type="number" id="months" name="months" min="0" value=(d.months);
                    label for="days" { "Days" }
                    input type="number" id="days" name="days" min="0" value=(d.days);
                    p.warning id="retention-warning" {
                        "The retention end is fixed when the project is created and can never be extended. "
                        "After it, reversal is refused for ever and every token of the project expires."
                    }
                }
                fieldset {
                    legend { "Treatment" }
                    input type="radio" id="treatment-same" name="treatment" value="same" checked[treatment == "same"];
                    label for="treatment-same" { "Same: one value always gets the same pseudonym (joins work)" }
                    input type="radio" id="treatment-different" name="treatment" value="different" checked[treatment == "different"];
                    label for="treatment-different" { "Always different: every occurrence gets a fresh pseudonym" }
                }
                label for="format" { "Output format" }
                select id="format" name="format" {
                    @for f in ["base64url", "hex", "base32"] {
                        option value=(f) selected[format == f] { (f) }
                    }
                }
                div {
                    button type="submit" name="action" value="preview" id="preview" { "Show the retention end" }
                    button type="submit" name="action" value="create" id="create" { "Create project" }
                }
            }
        },
    )
}

pub(crate) fn project(cx: &Ctx, p: &Project, requests: &[Request]) -> Markup {
    let manages = cx.me.role == Role::Admin || (cx.me.role == Role::User && cx.me.organisation == p.owner);
    let collaborates = p.collaborator(&cx.me.organisation).is_some();
    layout(
        Some(cx),
        &format!("Project {}", p.id.as_str()),
        html! {
            h2 { "Configuration (fixed at creation)" }
            dl id="config" {
                dt { "Id" } dd { (p.id.as_str()) }
                dt { "Name" } dd { (p.name) }
                dt { "Owner organisation" } dd { (p.owner.to_string()) }
                dt { "Method" } dd { (method_text(p)) }
                dt { "Retention ends" } dd { (when(p.config.retention_end)) " (can never be extended)" }
                dt { "Treatment" } dd { (treatment_text(p.config.treatment)) }
                dt { "Output format" } dd { (p.config.format.as_str()) }
                dt { "Created" } dd { (when(p.created)) }
                dt { "Key version (moves only by a rewrap)" } dd {
                    (p.key_version)
                    @if p.key_versions.len() > 1 {
                        " (earlier: "
                        (p.key_versions.iter().filter(|v| **v != p.key_version).map(u16::to_string).collect::<Vec<_>>().join(", "))
                        ")"
                    }
                }
            }
            h2 { "Collaborators" }
            table id="collaborators" {
                thead { tr { th { "Organisation key" } th { "Can reverse" } } }
                tbody {
                    @for c in &p.collaborators {
                        tr { td { (c.organisation.to_string()) } td { @if c.can_reverse { "yes" } @else { "no" } } }
                    }
                }
            }
            @if manages {
                form method="post" action={ "/projects/" (seg(p.id.as_str())) "/collaborators" } id="add-collaborator" {
                    (csrf(cx))
                    label for="organisation" { "Organisation key (UUID)" }
                    input type="text" id="organisation" name="organisation" required;
                    input type="checkbox" id="can_reverse" name="can_reverse" value="yes";
                    label.check for="can_reverse" { "May receive reverse tokens" }
                    div { button type="submit" id="add" { "Add collaborator" } }
                }
            }
            h2 { "Requests" }
            @if requests.is_empty() {
                p { "No request yet." }
            } @else {
                table id="requests" {
                    thead { tr { th { "Request" } th { "Dataset" } th { "Token type wanted" } th { "Organisation" } th { "Requester" } th { "Status" } } }
                    tbody {
                        @for r in requests {
                            tr {
                                td { a href={ "/requests/" (seg(&r.id)) } { (r.id) } }
                                td { (r.dataset) } td { (wanted_text(r.token_type)) } td { (r.organisation.to_string()) } td { (r.requester) } td { (r.status.as_str()) }
                            }
                        }
                    }
                }
            }
            @if collaborates {
                form method="post" action={ "/projects/" (seg(p.id.as_str())) "/requests" } id="submit-request" {
                    (csrf(cx))
                    label for="dataset" { "Dataset to pseudonymise (a description)" }
                    input type="text" id="dataset" name="dataset" required;
                    label for="token_type" { "Token type wanted (the administrator sees it when deciding)" }
                    select id="token_type" name="token_type" {
                        option value="" { "Not said" }
                        option value="psn" { "Pseudonymisation (psn)" }
                        option value="sec" { "Secondary (sec): level-2 pseudonyms of a source project" }
                        option value="rev" { "Reverse (rev)" }
                    }
                    div { button type="submit" id="request" { "Request a token" } }
                }
            }
        },
    )
}

pub(crate) fn request(cx: &Ctx, r: &Request, p: &Project, no_reverse: Option<String>) -> Markup {
    let pending = r.status == RequestStatus::Pending;
    // The generate form starts on the type the request wanted, where it can be issued.
    let pick = match r.token_type {
        Some(TokenType::Sec) => TokenType::Sec,
        Some(TokenType::Rev) if no_reverse.is_none() => TokenType::Rev,
        _ => TokenType::Psn,
    };
    let ours = r.organisation == cx.me.organisation;
    layout(
        Some(cx),
        &format!("Request {}", r.id),
        html! {
            dl id="request" {
                dt { "Project" } dd { a href={ "/projects/" (seg(p.id.as_str())) } { (p.id.as_str()) } }
                dt { "Dataset" } dd { (r.dataset) }
                dt { "Token type wanted" } dd id="wanted" { (wanted_text(r.token_type)) }
                dt { "Organisation" } dd { (r.organisation.to_string()) }
                dt { "Requester" } dd { (r.requester) }
                dt { "Status" } dd id="status" { (r.status.as_str()) }
            }
            h2 { "History" }
            table id="history" {
                thead { tr { th { "Time" } th { "By" } th { "Status" } th { "Comment" } } }
                tbody {
                    @for e in &r.history {
                        tr { td { (when(e.time)) } td { (e.actor) } td { (e.status.as_str()) } td { (e.comment.as_deref().unwrap_or("")) } }
                    }
                }
            }
            @if pending && cx.me.role == Role::Admin {
                h2 { "Decide" }
                form method="post" action={ "/requests/" (seg(&r.id)) "/decision" } id="decide" {
                    (csrf(cx))
                    label for="comment" { "Comment (kept in the history)" }
                    textarea id="comment" name="comment" rows="3" {}
                    div {
                        button type="submit" name="decision" value="approve" id="approve" { "Approve" }
                        button type="submit" name="decision" value="reject" id="reject" { "Reject" }
                    }
                }
            }
            @if pending && cx.me.role != Role::Admin {
                p.notice { "Waiting for an administrator to approve or reject this request." }
            }
            @if r.status == RequestStatus::Approved && ours {
                h2 { "Generate a token" }
                form method="post" action={ "/requests/" (seg(&r.id)) "/tokens" } id="generate" {
                    (csrf_once(cx))
                    label for="token-name" { "Token name" }
                    input type="text" id="token-name" name="name" required;
                    label for="expires" { "Expires after (600s, 12h, 30d, 2w, 1y; capped at retention end)" }
                    input type="text" id="expires" name="expires" value="30d";
                    fieldset {
                        legend { "Token type" }
                        input type="radio" id="type-psn" name="type" value="psn" checked[pick == TokenType::Psn];
                        label for="type-psn" { "Pseudonymisation (psn)" }
                        input type="radio" id="type-sec" name="type" value="sec" checked[pick == TokenType::Sec];
                        label for="type-sec" { "Secondary (sec): level-2 pseudonyms of a source project" }
                        input type="radio" id="type-rev" name="type" value="rev" disabled[no_reverse.is_some()] checked[pick == TokenType::Rev];
                        label for="type-rev" { "Reverse (rev)" }
                        @if let Some(why) = &no_reverse {
                            p.notice id="no-reverse" { "Reverse tokens are not available: " (why) "." }
                        }
                    }
                    label for="source_project" { "Source project (secondary tokens only)" }
                    input type="text" id="source_project" name="source_project";
                    label for="source_org" { "Source organisation key (secondary tokens only; default: yours)" }
                    input type="text" id="source_org" name="source_org";
                    div { button type="submit" id="generate-token" { "Generate token" } }
                }
            }
        },
    )
}

fn copy_block(id: &str, label: &str, text: &str) -> Markup {
    html! {
        pre.secret id=(id) aria-label=(label) { (text) }
        button type="button" data-copy=(id) id={ "copy-" (id) } hidden { "Copy" }
    }
}

pub(crate) fn token_once(cx: &Ctx, t: &TokenRecord, token: &str) -> Markup {
    let path = if t.token_type == TokenType::Rev { PATH_REVERSE } else { PATH_PSEUDONYMISE };
    let example = if t.token_type == TokenType::Rev { "PSEUDONYM" } else { "Example PID 1" };
    let curl = format!(
        "curl -X POST {}{path} -H \"Authorization: Bearer {token}\" -H \"Content-Type: application/json\" \
         -d '{{\"data\": [\"{example}\"]}}'",
        cx.base
    );
    layout(
        Some(cx),
        "Your token",
        html! {
            p.warning role="alert" {
                "This is the only time the token is shown. Copy it now: the portal keeps only its record, never the token."
            }
            dl {
                dt { "Name" } dd { (t.name) }
                dt { "Type" } dd id="token-type" { (t.token_type.as_str()) }
                dt { "Project" } dd { (t.project.as_str()) }
                dt { "Expires" } dd { (when(t.expires)) }
            }
            h2 { "Token" }
            (copy_block("token", "The token", token))
            h2 { "Use it" }
            (copy_block("curl", "A curl command that uses the token", &curl))
            p { a href="/tokens" { "Go to your tokens" } }
        },
    )
}

fn lifecycle(cx: &Ctx, base: &str, status: &str) -> Markup {
    html! {
        @if status == "active" {
            form.inline method="post" action={ (base) "/revoke" } { (csrf(cx)) button type="submit" { "Revoke" } }
        }
        @if status == "revoked" {
            form.inline method="post" action={ (base) "/restore" } { (csrf(cx)) button type="submit" { "Restore" } }
        }
        @if status != "active" {
            a href={ (base) "/delete" } { "Delete…" }
        }
    }
}

pub(crate) fn tokens(cx: &Ctx, list: &[TokenRecord], filter: &str, now: Timestamp) -> Markup {
    layout(
        Some(cx),
        "Tokens",
        html! {
            form method="get" action="/tokens" id="filter" {
                label for="status" { "Show" }
                select id="status" name="status" {
                    @for (v, text) in [("all", "All tokens"), ("active", "Active"), ("revoked", "Revoked"), ("expired", "Expired")] {
                        option value=(v) selected[filter == v] { (text) }
                    }
                }
                button type="submit" { "Filter" }
            }
            @if list.is_empty() {
                p id="no-tokens" { "No token." }
            } @else {
                table id="tokens" {
                    thead { tr { th { "Name" } th { "Type" } th { "Project" } th { "Status" } th { "Expires" } th { "Last used" } th { "Actions" } } }
                    tbody {
                        @for t in list {
                            @let status = shown_status(t.status, t.expires, now);
                            tr data-jti=(t.jti) {
                                td.name { (t.name) }
                                td { (t.token_type.as_str()) }
                                td { (t.project.as_str()) }
                                td.status { (status) }
                                td { (when(t.expires)) }
                                td.last-used { (last_used(t.last_used)) }
                                td { (lifecycle(cx, &format!("/tokens/{}", seg(&t.jti)), status)) }
                            }
                        }
                    }
                }
            }
        },
    )
}

pub(crate) fn confirm_delete(cx: &Ctx, what: &str, action: &str, back: &str) -> Markup {
    layout(
        Some(cx),
        "Delete for ever?",
        html! {
            p { "Delete " (what) "? Its record is removed for good; the token stays refused." }
            form method="post" action=(action) id="confirm-delete" {
                (csrf(cx))
                button type="submit" id="confirm" { "Delete" }
                " "
                a href=(back) { "Cancel" }
            }
        },
    )
}

pub(crate) fn access_tokens(cx: &Ctx, list: &[AccessTokenRecord], now: Timestamp) -> Markup {
    layout(
        Some(cx),
        "Access tokens",
        html! {
            p { "Access tokens sign you in here and authenticate calls to the REST API (/api/v1)." }
            @if list.is_empty() {
                p { "No access token." }
            } @else {
                table id="access-tokens" {
                    thead { tr { th { "Name" } th { "Kind" } th { "For" } th { "Status" } th { "Expires" } th { "Last used" } th { "Actions" } } }
                    tbody {
                        @for t in list {
                            @let status = shown_status(t.status, t.expires, now);
                            tr {
                                td { (t.name) } td { (t.kind.as_str()) } td { (t.principal) }
                                td.status { (status) } td { (when(t.expires)) } td { (last_used(t.last_used)) }
                                td { (lifecycle(cx, &format!("/access-tokens/{}", seg(&t.id)), status)) }
                            }
                        }
                    }
                }
            }
            h2 { "New personal token" }
            form method="post" action="/access-tokens" id="new-personal" {
                (csrf_once(cx))
                input type="hidden" name="kind" value="personal";
                label for="personal-name" { "Name" }
                input type="text" id="personal-name" name="name" required;
                label for="personal-expires" { "Expires after (600s, 12h, 30d, 2w, 1y)" }
                input type="text" id="personal-expires" name="expires" value="30d";
                div { button type="submit" id="make-personal" { "Make personal token" } }
            }
            @if cx.me.role == Role::Admin {
                h2 { "New service token" }
                form method="post" action="/access-tokens" id="new-service" {
                    (csrf_once(cx))
                    input type="hidden" name="kind" value="service";
                    label for="service-name" { "Name" }
                    input type="text" id="service-name" name="name" required;
                    label for="service-account" { "Service account" }
                    input type="text" id="service-account" name="account" required;
                    label for="service-org" { "Its organisation key (default: yours)" }
                    input type="text" id="service-org" name="organisation";
                    label for="service-expires" { "Expires after (600s, 12h, 30d, 2w, 1y)" }
                    input type="text" id="service-expires" name="expires" value="30d";
                    div { button type="submit" id="make-service" { "Make service token" } }
                }
            }
        },
    )
}

pub(crate) fn access_once(cx: &Ctx, t: &AccessTokenRecord, secret: &str) -> Markup {
    let curl = format!("curl {}/api/v1/me -H \"Authorization: Bearer {secret}\"", cx.base);
    layout(
        Some(cx),
        "Your access token",
        html! {
            p.warning role="alert" {
                "This is the only time the secret is shown. Copy it now: the portal keeps only its hash."
            }
            dl {
                dt { "Name" } dd { (t.name) }
                dt { "Kind" } dd { (t.kind.as_str()) }
                dt { "For" } dd { (t.principal) }
                dt { "Expires" } dd { (when(t.expires)) }
            }
            h2 { "Secret" }
            (copy_block("token", "The access token", secret))
            h2 { "Use it" }
            (copy_block("curl", "A curl command that uses the access token", &curl))
            p { a href="/access-tokens" { "Go to your access tokens" } }
        },
    )
}

pub(crate) fn audit(cx: &Ctx, events: &[AuditEvent]) -> Markup {
    layout(
        Some(cx),
        "Audit log",
        html! {
            p { "Engine calls and the registry's changes (tokens and access tokens issued, revoked, restored, deleted; key versions), newest last. For a change, Subject is who made it. No value and no secret is ever recorded." }
            table id="audit" {
                thead { tr { th { "Time" } th { "Token (jti)" } th { "Subject" } th { "Project" } th { "Operation" } th { "Items" } th { "Failed" } th { "Outcome" } } }
                tbody {
                    @for e in events {
                        tr {
                            td { (when(e.time)) } td { (e.jti.as_deref().unwrap_or("-")) } td { (e.subject.as_deref().unwrap_or("-")) }
                            td { (e.project.as_deref().unwrap_or("-")) }
                            td { (e.operation.as_str()) } td { (e.items) } td { (e.failed_items) }
                            td { (e.error.map_or("ok", |k| k.code())) }
                        }
                    }
                }
            }
        },
    )
}
