/* C consumer test of the registry part of include/pseudo.h: projects, requests, the issuing
 * policy's refusals, the token and access-token lifecycles, the engine wired to a registry, the
 * audit log, a corrupted database, NULL for every pointer. Built by `make test-ffi` against
 * libpseudo (shared, under valgrind) and statically with ASan + UBSan. */
#define _POSIX_C_SOURCE 200809L
#include "pseudo.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int passed, failed;

static void check(int ok, const char *what, int line) {
  if (ok) {
    passed++;
  } else {
    failed++;
    char msg[512], detail[64];
    size_t n = 0;
    if (pseudo_last_error_message(msg, sizeof msg, &n) != PSEUDO_OK) msg[0] = 0;
    if (pseudo_last_error_detail(detail, sizeof detail, &n) != PSEUDO_OK) detail[0] = 0;
    fprintf(stderr, "FAIL line %d: %s (last error: %s; detail: %s)\n", line, what, msg, detail);
  }
}
#define CHECK(c) check((c) ? 1 : 0, #c, __LINE__)
#define EXPECT(call, want) check((call) == (want), #call " == " #want, __LINE__)
/* A refusal with its status and sub-code. */
#define REFUSED(call, want, code) \
  check((call) == (want) && detail_is(code), #call " == " #want " (" code ")", __LINE__)

static const char *ISS = "https://portal.example";
static const char *AUD = "pseudo-engine";
static const char *ORG1 = "00000000-0000-0000-0000-000000000001";
static const char *ORG2 = "00000000-0000-0000-0000-000000000002";
static const char *ORG3 = "00000000-0000-0000-0000-000000000003";
static int64_t now_s;
static const int64_t DAY = 86400;

static pseudo_principal admin, owner, researcher, outsider, svc;

static int detail_is(const char *want) {
  char d[64];
  size_t n = 0;
  if (pseudo_last_error_detail(d, sizeof d, &n) != PSEUDO_OK) return 0;
  return strcmp(d, want) == 0 && strlen(d) == n;
}

static pseudo_principal principal(const char *id, const char *org, pseudo_role role) {
  pseudo_principal p = {id, org, role};
  return p;
}

static pseudo_str S(const char *s) {
  pseudo_str v = {s, strlen(s)};
  return v;
}

static pseudo_new_project new_project(const char *id, pseudo_method method) {
  pseudo_new_project p;
  memset(&p, 0, sizeof p);
  p.id = id;
  p.name = "a project";
  p.method = method;
  p.treatment = PSEUDO_TREATMENT_SAME;
  p.format = PSEUDO_FORMAT_BASE64URL;
  p.retention_years = 1;
  return p;
}

static pseudo_issue_request issue_req(const char *request, pseudo_token_kind kind) {
  pseudo_issue_request r;
  memset(&r, 0, sizeof r);
  r.request = request;
  r.kind = kind;
  r.name = "my token";
  r.lifetime_seconds = 3600;
  return r;
}

/* Fixture */
static pseudo_signing_key *sk;
static pseudo_verifying_key *vk;
static pseudo_authority *auth;
static pseudo_keyring *ring;

static pseudo_engine *wired_engine(const pseudo_registry *reg) {
  pseudo_engine_options o;
  EXPECT(pseudo_engine_options_init(&o), PSEUDO_OK);
  o.issuer = ISS;
  o.audience = AUD;
  const pseudo_verifying_key *keys[1] = {vk};
  pseudo_engine *e = NULL;
  EXPECT(pseudo_engine_new_with_registry(ring, keys, 1, &o, reg, &e), PSEUDO_OK);
  return e;
}

/* A copy of a request's id (the request object is freed right away). */
static void request_id(pseudo_request *r, char *out, size_t cap) {
  pseudo_request_record info;
  out[0] = 0;
  if (pseudo_request_get(r, &info) == PSEUDO_OK && strlen(info.id) < cap) strcpy(out, info.id);
  pseudo_request_free(r);
}

/* A project with ORG2 as collaborator and an approved request whose id goes to `id`. */
static void approved(const pseudo_registry *reg, const char *project, pseudo_method m, bool can_reverse, char *id,
                     size_t cap) {
  pseudo_new_project p = new_project(project, m);
  EXPECT(pseudo_registry_create_project(reg, &owner, &p, now_s, NULL), PSEUDO_OK);
  EXPECT(pseudo_registry_add_collaborator(reg, &owner, project, ORG2, can_reverse), PSEUDO_OK);
  pseudo_request *r = NULL;
  EXPECT(pseudo_registry_submit_request(reg, &researcher, project, "dataset A", now_s, &r), PSEUDO_OK);
  request_id(r, id, cap);
  EXPECT(pseudo_registry_decide_request(reg, &admin, id, true, "ok", now_s, NULL), PSEUDO_OK);
}

static int token_record(const pseudo_registry *reg, const char *jti, pseudo_token_record *out,
                        pseudo_token_list **keep) {
  *keep = NULL;
  if (pseudo_registry_token(reg, jti, keep) != PSEUDO_OK) return 0;
  return pseudo_token_list_get(*keep, 0, out) == PSEUDO_OK;
}

static pseudo_status use(const pseudo_engine *e, const char *token, int64_t at) {
  pseudo_str vals[2] = {S("Example PID 1"), S("Example PID 2")};
  pseudo_batch *b = NULL;
  pseudo_status s = pseudo_engine_call(e, PSEUDO_OPERATION_PSEUDONYMISE, token, vals, 2, PSEUDO_BATCH_STRICT, at, &b);
  pseudo_batch_free(b);
  return s;
}

static const char *text_of(const pseudo_token *t) {
  const char *p = NULL;
  size_t n = 0;
  if (pseudo_token_text(t, &p, &n) != PSEUDO_OK) return "";
  return p;
}

static void test_statuses_and_detail(void) {
  char buf[256];
  size_t n = 0;
  const pseudo_status news[] = {PSEUDO_NOT_FOUND,       PSEUDO_INVALID_STATE,  PSEUDO_PERMISSION_DENIED,
                                PSEUDO_AUTHENTICATION_FAILED, PSEUDO_INVALID_SECRET, PSEUDO_STORAGE};
  for (unsigned i = 0; i < sizeof news / sizeof news[0]; i++) {
    CHECK(news[i] == 123 + i); /* appended, never renumbered */
    EXPECT(pseudo_status_message(news[i], buf, sizeof buf, &n), PSEUDO_OK);
    CHECK(n > 10 && strcmp(buf, "unknown status code") != 0);
  }
  CHECK(PSEUDO_INTERNAL == 122 && PSEUDO_UNKNOWN_ERROR == 199);
  /* A failure without a sub-code leaves the detail empty. */
  EXPECT(pseudo_registry_new_in_memory(0, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_last_error_detail(buf, sizeof buf, &n), PSEUDO_OK);
  CHECK(n == 0 && buf[0] == 0);
  EXPECT(pseudo_last_error_detail(NULL, 0, &n), PSEUDO_BUFFER_TOO_SMALL);
  CHECK(n == 1);
  EXPECT(pseudo_last_error_detail(buf, sizeof buf, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_last_error_detail(NULL, 4, &n), PSEUDO_NULL_ARGUMENT);
}

static void test_open(const char *dir) {
  pseudo_registry *r = NULL;
  char path[512];
  EXPECT(pseudo_registry_open(NULL, 0, &r), PSEUDO_NULL_ARGUMENT);
  snprintf(path, sizeof path, "%s/reg.db", dir);
  EXPECT(pseudo_registry_open(path, 0, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_open("\xff.db", 0, &r), PSEUDO_INVALID_UTF8);
  /* A corrupted database file: a clear status, no crash, nothing returned. */
  snprintf(path, sizeof path, "%s/garbage.db", dir);
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  if (f) {
    for (int i = 0; i < 8192; i++) fputc(0x5a, f);
    fclose(f);
  }
  REFUSED(pseudo_registry_open(path, 0, &r), PSEUDO_STORAGE, "corrupt");
  char msg[256];
  size_t n = 0;
  EXPECT(pseudo_last_error_message(msg, sizeof msg, &n), PSEUDO_OK);
  CHECK(n > 0);
  snprintf(path, sizeof path, "%s/no/such/dir/reg.db", dir);
  EXPECT(pseudo_registry_open(path, 0, &r), PSEUDO_STORAGE);
  CHECK(r == NULL);
  pseudo_registry_free(NULL);

  /* A real file persists across handles. */
  snprintf(path, sizeof path, "%s/reg.db", dir);
  EXPECT(pseudo_registry_open(path, 0, &r), PSEUDO_OK);
  pseudo_new_project p = new_project("persisted", PSEUDO_METHOD_REVERSIBLE);
  EXPECT(pseudo_registry_create_project(r, &owner, &p, now_s, NULL), PSEUDO_OK);
  pseudo_registry_free(r);
  r = NULL;
  EXPECT(pseudo_registry_open(path, 0, &r), PSEUDO_OK);
  pseudo_project_config cfg;
  EXPECT(pseudo_registry_project_config(r, "persisted", &cfg), PSEUDO_OK);
  CHECK(cfg.method == PSEUDO_METHOD_REVERSIBLE && cfg.retention_end >= now_s + 365 * DAY);
  pseudo_registry_free(r);
}

static void test_projects_and_requests(const pseudo_registry *reg) {
  pseudo_new_project p = new_project("P1", PSEUDO_METHOD_REVERSIBLE);
  pseudo_project_config cfg;
  memset(&cfg, 0, sizeof cfg);
  EXPECT(pseudo_registry_create_project(NULL, &owner, &p, now_s, &cfg), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_create_project(reg, NULL, &p, now_s, &cfg), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_create_project(reg, &owner, NULL, now_s, &cfg), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_flush(reg), PSEUDO_OK);
  EXPECT(pseudo_registry_flush(NULL), PSEUDO_NULL_ARGUMENT);
  /* An absurd clock is invalid input, never a panic. */
  EXPECT(pseudo_registry_create_project(reg, &owner, &p, INT64_MAX, &cfg), PSEUDO_INVALID_INPUT);
  EXPECT(pseudo_registry_create_project(reg, &owner, &p, INT64_MIN, &cfg), PSEUDO_INVALID_INPUT);
  pseudo_principal bad = owner;
  bad.id = NULL;
  EXPECT(pseudo_registry_create_project(reg, &bad, &p, now_s, &cfg), PSEUDO_NULL_ARGUMENT);
  bad = owner;
  bad.organisation = NULL;
  EXPECT(pseudo_registry_create_project(reg, &bad, &p, now_s, &cfg), PSEUDO_NULL_ARGUMENT);
  bad.organisation = "not-a-uuid";
  EXPECT(pseudo_registry_create_project(reg, &bad, &p, now_s, &cfg), PSEUDO_INVALID_INPUT);
  bad = owner;
  bad.id = "";
  EXPECT(pseudo_registry_create_project(reg, &bad, &p, now_s, &cfg), PSEUDO_INVALID_INPUT);
  bad = owner;
  bad.role = 7;
  EXPECT(pseudo_registry_create_project(reg, &bad, &p, now_s, &cfg), PSEUDO_INVALID_ARGUMENT);
  pseudo_new_project q = p;
  q.id = NULL;
  EXPECT(pseudo_registry_create_project(reg, &owner, &q, now_s, &cfg), PSEUDO_NULL_ARGUMENT);
  q = p;
  q.name = NULL;
  EXPECT(pseudo_registry_create_project(reg, &owner, &q, now_s, &cfg), PSEUDO_NULL_ARGUMENT);
  q = p;
  q.method = 5;
  EXPECT(pseudo_registry_create_project(reg, &owner, &q, now_s, &cfg), PSEUDO_INVALID_ARGUMENT);
  q = p;
  q.format = 9;
  EXPECT(pseudo_registry_create_project(reg, &owner, &q, now_s, &cfg), PSEUDO_INVALID_ARGUMENT);
  q = p;
  q.retention_years = 0;
  EXPECT(pseudo_registry_create_project(reg, &owner, &q, now_s, &cfg), PSEUDO_INVALID_INPUT);
  q = p;
  q.id = "bad id with spaces";
  EXPECT(pseudo_registry_create_project(reg, &owner, &q, now_s, &cfg), PSEUDO_INVALID_INPUT);
  REFUSED(pseudo_registry_create_project(reg, &svc, &p, now_s, &cfg), PSEUDO_PERMISSION_DENIED, "service_account");
  CHECK(cfg.retention_end == 0); /* outputs only on success */
  EXPECT(pseudo_registry_create_project(reg, &owner, &p, now_s, &cfg), PSEUDO_OK);
  CHECK(cfg.method == PSEUDO_METHOD_REVERSIBLE && cfg.treatment == PSEUDO_TREATMENT_SAME &&
        cfg.format == PSEUDO_FORMAT_BASE64URL && cfg.retention_end >= now_s + 365 * DAY);
  EXPECT(pseudo_registry_create_project(reg, &owner, &p, now_s, &cfg), PSEUDO_INVALID_STATE); /* id taken */

  pseudo_project_config got;
  EXPECT(pseudo_registry_project_config(reg, "P1", &got), PSEUDO_OK);
  CHECK(got.retention_end == cfg.retention_end);
  REFUSED(pseudo_registry_project_config(reg, "nope", &got), PSEUDO_NOT_FOUND, "unknown_project");
  EXPECT(pseudo_registry_project_config(NULL, "P1", &got), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_project_config(reg, NULL, &got), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_project_config(reg, "P1", NULL), PSEUDO_NULL_ARGUMENT);

  /* Collaborators and requests. */
  pseudo_request *r = NULL;
  REFUSED(pseudo_registry_submit_request(reg, &researcher, "P1", "d", now_s, &r), PSEUDO_ISSUE_REFUSED,
          "not_a_collaborator");
  CHECK(r == NULL);
  REFUSED(pseudo_registry_add_collaborator(reg, &outsider, "P1", ORG2, false), PSEUDO_PERMISSION_DENIED,
          "not_project_owner");
  EXPECT(pseudo_registry_add_collaborator(NULL, &owner, "P1", ORG2, false), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_add_collaborator(reg, NULL, "P1", ORG2, false), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_add_collaborator(reg, &owner, NULL, ORG2, false), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_add_collaborator(reg, &owner, "P1", NULL, false), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_add_collaborator(reg, &owner, "P1", "x", false), PSEUDO_INVALID_INPUT);
  EXPECT(pseudo_registry_add_collaborator(reg, &owner, "P9", ORG2, false), PSEUDO_NOT_FOUND);
  EXPECT(pseudo_registry_add_collaborator(reg, &owner, "P1", ORG2, false), PSEUDO_OK);

  EXPECT(pseudo_registry_submit_request(NULL, &researcher, "P1", "d", now_s, &r), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_submit_request(reg, NULL, "P1", "d", now_s, &r), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_submit_request(reg, &researcher, NULL, "d", now_s, &r), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_submit_request(reg, &researcher, "P1", NULL, now_s, &r), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_submit_request(reg, &researcher, "P1", "d", now_s, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_submit_request(reg, &researcher, "P1", "", now_s, &r), PSEUDO_INVALID_INPUT);
  EXPECT(pseudo_registry_submit_request(reg, &researcher, "P1", "admissions", now_s, &r), PSEUDO_OK);
  pseudo_request_record info;
  EXPECT(pseudo_request_get(r, &info), PSEUDO_OK);
  CHECK(strncmp(info.id, "req_", 4) == 0 && strcmp(info.project, "P1") == 0 && strcmp(info.organisation, ORG2) == 0 &&
        strcmp(info.requester, "rahul") == 0 && strcmp(info.dataset, "admissions") == 0 &&
        info.status == PSEUDO_REQUEST_PENDING && info.history_len == 1);
  EXPECT(pseudo_request_get(NULL, &info), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_request_get(r, NULL), PSEUDO_NULL_ARGUMENT);
  pseudo_request_event ev;
  EXPECT(pseudo_request_history_get(r, 0, &ev), PSEUDO_OK);
  CHECK(ev.time == now_s && strcmp(ev.actor, "rahul") == 0 && ev.status == PSEUDO_REQUEST_PENDING &&
        ev.comment == NULL);
  EXPECT(pseudo_request_history_get(r, 1, &ev), PSEUDO_INDEX_OUT_OF_RANGE);
  EXPECT(pseudo_request_history_get(NULL, 0, &ev), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_request_history_get(r, 0, NULL), PSEUDO_NULL_ARGUMENT);
  /* The token type wanted: not said by pseudo_registry_submit_request; said, read back, and a
     value that is no type refused (then rejected at once, so it does not stay pending). */
  bool said = true;
  pseudo_token_type wanted = PSEUDO_TOKEN_TYPE_UNKNOWN;
  EXPECT(pseudo_request_token_type(r, &said, &wanted), PSEUDO_OK);
  CHECK(!said && wanted == PSEUDO_TOKEN_TYPE_UNKNOWN);
  EXPECT(pseudo_request_token_type(NULL, &said, &wanted), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_request_token_type(r, NULL, &wanted), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_request_token_type(r, &said, NULL), PSEUDO_NULL_ARGUMENT);
  char pending[64];
  request_id(r, pending, sizeof pending); /* frees r */
  pseudo_request_free(NULL);
  pseudo_token_type rev = PSEUDO_TOKEN_TYPE_REV, bogus = 7;
  pseudo_request *w = NULL;
  EXPECT(pseudo_registry_submit_request_for(reg, &researcher, "P1", "d", &bogus, now_s, &w), PSEUDO_INVALID_ARGUMENT);
  EXPECT(pseudo_registry_submit_request_for(reg, &researcher, "P1", "d", &rev, now_s, NULL), PSEUDO_NULL_ARGUMENT);
  CHECK(w == NULL);
  EXPECT(pseudo_registry_submit_request_for(reg, &researcher, "P1", "wants rev", &rev, now_s, &w), PSEUDO_OK);
  EXPECT(pseudo_request_token_type(w, &said, &wanted), PSEUDO_OK);
  CHECK(said && wanted == PSEUDO_TOKEN_TYPE_REV);
  char wants[64];
  request_id(w, wants, sizeof wants); /* frees w */
  w = NULL;
  EXPECT(pseudo_registry_request(reg, wants, &w), PSEUDO_OK);
  said = false;
  wanted = PSEUDO_TOKEN_TYPE_UNKNOWN;
  EXPECT(pseudo_request_token_type(w, &said, &wanted), PSEUDO_OK);
  CHECK(said && wanted == PSEUDO_TOKEN_TYPE_REV); /* as stored */
  pseudo_request_free(w);
  w = NULL;
  EXPECT(pseudo_registry_submit_request_for(reg, &researcher, "P1", "not said", NULL, now_s, &w), PSEUDO_OK);
  EXPECT(pseudo_request_token_type(w, &said, &wanted), PSEUDO_OK);
  CHECK(!said);
  char unsaid[64];
  request_id(w, unsaid, sizeof unsaid); /* frees w */
  EXPECT(pseudo_registry_decide_request(reg, &admin, wants, false, "test", now_s, NULL), PSEUDO_OK);
  EXPECT(pseudo_registry_decide_request(reg, &admin, unsaid, false, "test", now_s, NULL), PSEUDO_OK);

  /* While a request is pending, collaborators are frozen; no token for a pending request. */
  REFUSED(pseudo_registry_add_collaborator(reg, &owner, "P1", ORG3, false), PSEUDO_INVALID_STATE, "request_pending");
  pseudo_issue_request ir = issue_req(pending, PSEUDO_TOKEN_PSEUDONYMISE);
  pseudo_token *t = NULL;
  REFUSED(pseudo_registry_issue_token(reg, auth, &researcher, &ir, now_s, &t), PSEUDO_ISSUE_REFUSED,
          "request_not_approved");
  CHECK(t == NULL);

  /* Decisions: administrators only, once, with the comment in the history. */
  REFUSED(pseudo_registry_decide_request(reg, &owner, pending, true, NULL, now_s, NULL), PSEUDO_PERMISSION_DENIED,
          "not_admin");
  EXPECT(pseudo_registry_decide_request(NULL, &admin, pending, true, NULL, now_s, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_decide_request(reg, NULL, pending, true, NULL, now_s, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_decide_request(reg, &admin, NULL, true, NULL, now_s, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_decide_request(reg, &admin, "req_none", true, NULL, now_s, NULL), PSEUDO_NOT_FOUND);
  EXPECT(pseudo_registry_decide_request(reg, &admin, pending, true, "\xc3", now_s, NULL), PSEUDO_INVALID_UTF8);
  r = NULL;
  EXPECT(pseudo_registry_decide_request(reg, &admin, pending, false, "missing ethics approval", now_s + 1, &r),
         PSEUDO_OK);
  EXPECT(pseudo_request_get(r, &info), PSEUDO_OK);
  CHECK(info.status == PSEUDO_REQUEST_REJECTED && info.history_len == 2);
  EXPECT(pseudo_request_history_get(r, 1, &ev), PSEUDO_OK);
  CHECK(ev.time == now_s + 1 && strcmp(ev.actor, "admin") == 0 && ev.status == PSEUDO_REQUEST_REJECTED &&
        strcmp(ev.comment, "missing ethics approval") == 0);
  pseudo_request_free(r);
  REFUSED(pseudo_registry_decide_request(reg, &admin, pending, true, NULL, now_s, NULL), PSEUDO_INVALID_STATE,
          "request_decided");
  REFUSED(pseudo_registry_issue_token(reg, auth, &researcher, &ir, now_s, &t), PSEUDO_ISSUE_REFUSED,
          "request_not_approved"); /* rejected */

  r = NULL;
  EXPECT(pseudo_registry_request(reg, pending, &r), PSEUDO_OK);
  EXPECT(pseudo_request_get(r, &info), PSEUDO_OK);
  CHECK(info.status == PSEUDO_REQUEST_REJECTED && info.history_len == 2);
  pseudo_request_free(r);
  EXPECT(pseudo_registry_request(reg, "req_none", &r), PSEUDO_NOT_FOUND);
  EXPECT(pseudo_registry_request(NULL, pending, &r), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_request(reg, NULL, &r), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_request(reg, pending, NULL), PSEUDO_NULL_ARGUMENT);
  /* Decided: collaborators may change again. */
  EXPECT(pseudo_registry_add_collaborator(reg, &owner, "P1", ORG3, false), PSEUDO_OK);
}

static void test_issuing_policy(const pseudo_registry *reg) {
  char ok[64], nrev[64], src[64];
  approved(reg, "P2", PSEUDO_METHOD_REVERSIBLE, false, ok, sizeof ok);
  approved(reg, "P3", PSEUDO_METHOD_NOT_REVERSIBLE, true, nrev, sizeof nrev);
  approved(reg, "P4", PSEUDO_METHOD_REVERSIBLE, true, src, sizeof src);
  pseudo_token *t = NULL;

  pseudo_issue_request ir = issue_req(ok, PSEUDO_TOKEN_REVERSE_LEVEL1);
  REFUSED(pseudo_registry_issue_token(reg, auth, &researcher, &ir, now_s, &t), PSEUDO_ISSUE_REFUSED,
          "cannot_reverse");
  ir = issue_req(nrev, PSEUDO_TOKEN_REVERSE_LEVEL1);
  REFUSED(pseudo_registry_issue_token(reg, auth, &researcher, &ir, now_s, &t), PSEUDO_ISSUE_REFUSED,
          "not_reversible");
  ir = issue_req(src, PSEUDO_TOKEN_REVERSE_LEVEL1);
  pseudo_project_config cfg;
  EXPECT(pseudo_registry_project_config(reg, "P4", &cfg), PSEUDO_OK);
  REFUSED(pseudo_registry_issue_token(reg, auth, &researcher, &ir, cfg.retention_end + 1, &t), PSEUDO_ISSUE_REFUSED,
          "retention_ended");
  /* Someone outside the requesting organisation. */
  ir = issue_req(ok, PSEUDO_TOKEN_PSEUDONYMISE);
  REFUSED(pseudo_registry_issue_token(reg, auth, &outsider, &ir, now_s, &t), PSEUDO_PERMISSION_DENIED,
          "not_requester");
  CHECK(t == NULL);
  /* Arguments. */
  EXPECT(pseudo_registry_issue_token(NULL, auth, &researcher, &ir, now_s, &t), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_issue_token(reg, NULL, &researcher, &ir, now_s, &t), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_issue_token(reg, auth, NULL, &ir, now_s, &t), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_issue_token(reg, auth, &researcher, NULL, now_s, &t), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_issue_token(reg, auth, &researcher, &ir, now_s, NULL), PSEUDO_NULL_ARGUMENT);
  pseudo_issue_request b = ir;
  b.request = NULL;
  EXPECT(pseudo_registry_issue_token(reg, auth, &researcher, &b, now_s, &t), PSEUDO_NULL_ARGUMENT);
  b = ir;
  b.name = NULL;
  EXPECT(pseudo_registry_issue_token(reg, auth, &researcher, &b, now_s, &t), PSEUDO_NULL_ARGUMENT);
  b = ir;
  b.kind = 9;
  EXPECT(pseudo_registry_issue_token(reg, auth, &researcher, &b, now_s, &t), PSEUDO_INVALID_ARGUMENT);
  b = ir;
  b.source_project = "P4";
  EXPECT(pseudo_registry_issue_token(reg, auth, &researcher, &b, now_s, &t), PSEUDO_INVALID_ARGUMENT);
  b = ir;
  b.lifetime_seconds = 0;
  EXPECT(pseudo_registry_issue_token(reg, auth, &researcher, &b, now_s, &t), PSEUDO_INVALID_INPUT);
  b = ir;
  b.request = "req_none";
  EXPECT(pseudo_registry_issue_token(reg, auth, &researcher, &b, now_s, &t), PSEUDO_NOT_FOUND);
  CHECK(t == NULL);
  /* Secondary: a source that exists and takes the source organisation part. */
  b = issue_req(ok, PSEUDO_TOKEN_SECONDARY);
  EXPECT(pseudo_registry_issue_token(reg, auth, &researcher, &b, now_s, &t), PSEUDO_NULL_ARGUMENT);
  b.source_project = "NOPE";
  b.source_organisation = ORG1;
  REFUSED(pseudo_registry_issue_token(reg, auth, &researcher, &b, now_s, &t), PSEUDO_ISSUE_REFUSED, "unknown_source");
  b.source_project = "P4";
  b.source_organisation = ORG3;
  REFUSED(pseudo_registry_issue_token(reg, auth, &researcher, &b, now_s, &t), PSEUDO_ISSUE_REFUSED,
          "unknown_source_organisation");
  b.source_organisation = ORG1;
  EXPECT(pseudo_registry_issue_token(reg, auth, &researcher, &b, now_s, &t), PSEUDO_OK);
  pseudo_token_free(t);
  t = NULL;
  /* Reverse tokens, both levels, for a collaborator with can_reverse. */
  ir = issue_req(src, PSEUDO_TOKEN_REVERSE_LEVEL1);
  EXPECT(pseudo_registry_issue_token(reg, auth, &researcher, &ir, now_s, &t), PSEUDO_OK);
  pseudo_token_free(t);
  t = NULL;
  approved(reg, "P5", PSEUDO_METHOD_REVERSIBLE, true, src, sizeof src);
  ir = issue_req(src, PSEUDO_TOKEN_REVERSE_LEVEL2);
  ir.source_project = "P4";
  ir.source_organisation = ORG2;
  EXPECT(pseudo_registry_issue_token(reg, auth, &researcher, &ir, now_s, &t), PSEUDO_OK);
  pseudo_token_free(t);

  pseudo_token_list *all = NULL;
  EXPECT(pseudo_registry_tokens(reg, &all), PSEUDO_OK);
  CHECK(pseudo_token_list_len(all) == 3);
  pseudo_token_record rec;
  EXPECT(pseudo_token_list_get(all, 0, &rec), PSEUDO_OK);
  CHECK(rec.token_type == PSEUDO_TOKEN_TYPE_SEC && strcmp(rec.project, "P2") == 0);
  EXPECT(pseudo_token_list_get(all, 2, &rec), PSEUDO_OK);
  CHECK(rec.token_type == PSEUDO_TOKEN_TYPE_REV && strcmp(rec.project, "P5") == 0);
  EXPECT(pseudo_token_list_get(all, 3, &rec), PSEUDO_INDEX_OUT_OF_RANGE);
  EXPECT(pseudo_token_list_get(NULL, 0, &rec), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_token_list_get(all, 0, NULL), PSEUDO_NULL_ARGUMENT);
  CHECK(pseudo_token_list_len(NULL) == 0);
  pseudo_token_list_free(all);
  pseudo_token_list_free(NULL);
  EXPECT(pseudo_registry_tokens(NULL, &all), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_tokens(reg, NULL), PSEUDO_NULL_ARGUMENT);
}

/* issue, use through the engine, last used, revoke → refused, restore, delete */
static void test_lifecycle(const pseudo_registry *reg) {
  pseudo_engine *engine = wired_engine(reg);
  pseudo_engine_options o;
  EXPECT(pseudo_engine_options_init(&o), PSEUDO_OK);
  o.issuer = ISS;
  o.audience = AUD;
  const pseudo_verifying_key *keys[1] = {vk};
  pseudo_engine *e = NULL;
  EXPECT(pseudo_engine_new_with_registry(NULL, keys, 1, &o, reg, &e), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_engine_new_with_registry(ring, NULL, 1, &o, reg, &e), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_engine_new_with_registry(ring, keys, 1, NULL, reg, &e), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_engine_new_with_registry(ring, keys, 1, &o, NULL, &e), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_engine_new_with_registry(ring, keys, 1, &o, reg, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_engine_new_with_registry(ring, keys, 0, &o, reg, &e), PSEUDO_INVALID_KEY);
  CHECK(e == NULL);

  char req[64];
  approved(reg, "L1", PSEUDO_METHOD_REVERSIBLE, true, req, sizeof req);
  pseudo_issue_request ir = issue_req(req, PSEUDO_TOKEN_PSEUDONYMISE);
  ir.name = "etl";
  pseudo_token *t = NULL;
  EXPECT(pseudo_registry_issue_token(reg, auth, &researcher, &ir, now_s, &t), PSEUDO_OK);
  const char *jti = NULL;
  EXPECT(pseudo_token_jti(t, &jti), PSEUDO_OK);
  int64_t exp = 0;
  EXPECT(pseudo_token_expires_at(t, &exp), PSEUDO_OK);

  pseudo_token_list *keep = NULL;
  pseudo_token_record rec;
  CHECK(token_record(reg, jti, &rec, &keep));
  CHECK(strcmp(rec.jti, jti) == 0 && rec.token_type == PSEUDO_TOKEN_TYPE_PSN && strcmp(rec.name, "etl") == 0 &&
        strcmp(rec.project, "L1") == 0 && strcmp(rec.request, req) == 0 && strcmp(rec.holder, "rahul") == 0 &&
        strcmp(rec.organisation, ORG2) == 0 && rec.created == now_s && rec.expires == exp &&
        rec.status == PSEUDO_RECORD_ACTIVE && !rec.used && rec.last_used == 0);
  pseudo_token_list_free(keep);

  /* Use: last used noted. */
  EXPECT(use(engine, text_of(t), now_s), PSEUDO_OK);
  CHECK(token_record(reg, jti, &rec, &keep) && rec.used && rec.last_used == now_s);
  pseudo_token_list_free(keep);

  /* Revoke: only the holder or an administrator; then the engine refuses it. */
  REFUSED(pseudo_registry_revoke_token(reg, &outsider, jti), PSEUDO_PERMISSION_DENIED, "not_holder");
  EXPECT(pseudo_registry_revoke_token(NULL, &researcher, jti), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_revoke_token(reg, NULL, jti), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_revoke_token(reg, &researcher, NULL), PSEUDO_NULL_ARGUMENT);
  REFUSED(pseudo_registry_revoke_token(reg, &researcher, "nope"), PSEUDO_NOT_FOUND, "unknown_token");
  EXPECT(pseudo_registry_revoke_token(reg, &researcher, jti), PSEUDO_OK);
  CHECK(token_record(reg, jti, &rec, &keep) && rec.status == PSEUDO_RECORD_REVOKED);
  pseudo_token_list_free(keep);
  EXPECT(use(engine, text_of(t), now_s), PSEUDO_TOKEN_REVOKED);

  /* Restore, use again. */
  EXPECT(pseudo_registry_restore_token(NULL, &researcher, jti, now_s), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_restore_token(reg, NULL, jti, now_s), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_restore_token(reg, &researcher, NULL, now_s), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_restore_token(reg, &researcher, jti, now_s), PSEUDO_OK);
  EXPECT(use(engine, text_of(t), now_s + 5), PSEUDO_OK);
  CHECK(token_record(reg, jti, &rec, &keep) && rec.status == PSEUDO_RECORD_ACTIVE && rec.last_used == now_s + 5);
  pseudo_token_list_free(keep);

  /* Delete only a revoked token; restore only a revoked, unexpired one. */
  REFUSED(pseudo_registry_delete_token(reg, &researcher, jti), PSEUDO_INVALID_STATE, "active");
  REFUSED(pseudo_registry_restore_token(reg, &researcher, jti, now_s), PSEUDO_INVALID_STATE, "not_revoked");
  EXPECT(pseudo_registry_revoke_token(reg, &admin, jti), PSEUDO_OK);
  REFUSED(pseudo_registry_restore_token(reg, &researcher, jti, exp + 1), PSEUDO_INVALID_STATE, "expired");
  EXPECT(pseudo_registry_delete_token(NULL, &researcher, jti), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_delete_token(reg, NULL, jti), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_delete_token(reg, &researcher, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_delete_token(reg, &researcher, jti), PSEUDO_OK);
  REFUSED(pseudo_registry_restore_token(reg, &researcher, jti, now_s), PSEUDO_NOT_FOUND, "unknown_token");
  keep = NULL;
  EXPECT(pseudo_registry_token(reg, jti, &keep), PSEUDO_NOT_FOUND);
  EXPECT(pseudo_registry_token(NULL, jti, &keep), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_token(reg, NULL, &keep), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_token(reg, "x", NULL), PSEUDO_NULL_ARGUMENT);
  CHECK(keep == NULL);
  EXPECT(use(engine, text_of(t), now_s), PSEUDO_TOKEN_REVOKED); /* deleted stays refused */

  /* A token the registry never recorded is refused by the wired engine only. */
  pseudo_token_request raw;
  memset(&raw, 0, sizeof raw);
  raw.kind = PSEUDO_TOKEN_PSEUDONYMISE;
  raw.subject = "rahul";
  raw.organisation = ORG2;
  raw.project = "L1";
  raw.request = req;
  EXPECT(pseudo_registry_project_config(reg, "L1", &raw.config), PSEUDO_OK);
  raw.lifetime_seconds = 60;
  pseudo_token *stray = NULL;
  EXPECT(pseudo_authority_issue(auth, &raw, now_s, &stray), PSEUDO_OK);
  EXPECT(use(engine, text_of(stray), now_s), PSEUDO_TOKEN_REVOKED);
  pseudo_engine *plain = NULL;
  EXPECT(pseudo_engine_new(ring, keys, 1, &o, &plain), PSEUDO_OK);
  EXPECT(use(plain, text_of(stray), now_s), PSEUDO_OK);
  pseudo_engine_free(plain);
  pseudo_token_free(stray);

  /* Audit: every call of the wired engine, with outcome, never a value; and every change of the
     token (registry events), by whom, in order. Earlier tests issued tokens on this registry too. */
  pseudo_audit_list *events = NULL;
  EXPECT(pseudo_registry_audit_events(reg, 1000, &events), PSEUDO_OK);
  size_t n = pseudo_audit_list_len(events);
  const pseudo_operation want[] = {
      PSEUDO_OPERATION_ISSUE_TOKEN,   PSEUDO_OPERATION_PSEUDONYMISE, PSEUDO_OPERATION_REVOKE_TOKEN,
      PSEUDO_OPERATION_PSEUDONYMISE,  PSEUDO_OPERATION_RESTORE_TOKEN, PSEUDO_OPERATION_PSEUDONYMISE,
      PSEUDO_OPERATION_REVOKE_TOKEN,  PSEUDO_OPERATION_DELETE_TOKEN, PSEUDO_OPERATION_PSEUDONYMISE};
  const char *by[] = {"rahul", "rahul", "rahul", "rahul", "rahul", "rahul", "admin", "rahul", "rahul"};
  size_t calls = 0, mine = 0, first_call = n;
  pseudo_audit_event ev;
  for (size_t i = 0; i < n; i++) {
    EXPECT(pseudo_audit_list_get(events, i, &ev), PSEUDO_OK);
    if (ev.operation <= PSEUDO_OPERATION_LOOKUP) calls++;
    if (!(ev.jti && strcmp(ev.jti, jti) == 0)) continue;
    CHECK(mine < 9 && ev.operation == want[mine] && strcmp(ev.subject, by[mine]) == 0 &&
          strcmp(ev.project, "L1") == 0);
    CHECK(pseudo_operation_name(ev.operation) != NULL);
    if (mine < 9 && ev.operation > PSEUDO_OPERATION_LOOKUP) CHECK(ev.items == 0 && ev.status == PSEUDO_OK);
    if (mine == 1) first_call = i;
    mine++;
  }
  CHECK(calls == 5 && mine == 9); /* used, revoked, used, deleted, never recorded; 4 changes */
  CHECK(strcmp(pseudo_operation_name(PSEUDO_OPERATION_PSEUDONYMISE), "pseudonymise") == 0 &&
        strcmp(pseudo_operation_name(PSEUDO_OPERATION_ISSUE_TOKEN), "issue_token") == 0 &&
        strcmp(pseudo_operation_name(PSEUDO_OPERATION_DELETE_ACCESS_TOKEN), "delete_access_token") == 0 &&
        pseudo_operation_name(PSEUDO_OPERATION_DELETE_ACCESS_TOKEN + 1) == NULL);
  EXPECT(pseudo_audit_list_get(events, first_call, &ev), PSEUDO_OK);
  CHECK(ev.time == now_s && ev.jti && strcmp(ev.jti, jti) == 0 && strcmp(ev.subject, "rahul") == 0 &&
        strcmp(ev.project, "L1") == 0 && ev.operation == PSEUDO_OPERATION_PSEUDONYMISE && ev.items == 2 &&
        ev.failed_items == 0 && ev.status == PSEUDO_OK && ev.error_code == NULL);
  EXPECT(pseudo_audit_list_get(events, first_call + 2, &ev), PSEUDO_OK);
  CHECK(ev.status == PSEUDO_TOKEN_REVOKED && strcmp(ev.error_code, "token_revoked") == 0);
  for (size_t i = 0; i < n; i++) {
    EXPECT(pseudo_audit_list_get(events, i, &ev), PSEUDO_OK);
    CHECK(!(ev.subject && strstr(ev.subject, "Example PID")) && !(ev.project && strstr(ev.project, "Example")));
  }
  EXPECT(pseudo_audit_list_get(events, n, &ev), PSEUDO_INDEX_OUT_OF_RANGE);
  EXPECT(pseudo_audit_list_get(NULL, 0, &ev), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_audit_list_get(events, 0, NULL), PSEUDO_NULL_ARGUMENT);
  CHECK(pseudo_audit_list_len(NULL) == 0);
  pseudo_audit_list_free(events);
  pseudo_audit_list_free(NULL);
  EXPECT(pseudo_registry_audit_events(reg, 2, &events), PSEUDO_OK);
  CHECK(pseudo_audit_list_len(events) == 2); /* the latest two */
  pseudo_audit_list_free(events);
  EXPECT(pseudo_registry_audit_events(NULL, 2, &events), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_audit_events(reg, 2, NULL), PSEUDO_NULL_ARGUMENT);

  pseudo_token_free(t);
  pseudo_engine_free(engine);
}

static void test_access_tokens(const pseudo_registry *reg) {
  pseudo_new_access_token *pat = NULL;
  const int64_t month = 30 * DAY;
  EXPECT(pseudo_registry_create_access_token(reg, &owner, PSEUDO_ACCESS_PERSONAL, NULL, "laptop", month, now_s, &pat),
         PSEUDO_OK);
  const char *secret = NULL;
  size_t len = 0;
  EXPECT(pseudo_new_access_token_secret(pat, &secret, &len), PSEUDO_OK);
  CHECK(strncmp(secret, "pseudo_pat_", 11) == 0 && strlen(secret) == len && len > 40);
  pseudo_access_token_record rec;
  EXPECT(pseudo_new_access_token_record(pat, &rec), PSEUDO_OK);
  CHECK(rec.kind == PSEUDO_ACCESS_PERSONAL && strcmp(rec.name, "laptop") == 0 && strcmp(rec.principal, "olivia") == 0 &&
        strcmp(rec.organisation, ORG1) == 0 && strcmp(rec.created_by, "olivia") == 0 && rec.created == now_s &&
        rec.expires == now_s + month && rec.status == PSEUDO_RECORD_ACTIVE && !rec.used);
  char id[64];
  snprintf(id, sizeof id, "%s", rec.id);
  EXPECT(pseudo_new_access_token_secret(NULL, &secret, &len), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_new_access_token_secret(pat, NULL, &len), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_new_access_token_secret(pat, &secret, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_new_access_token_record(NULL, &rec), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_new_access_token_record(pat, NULL), PSEUDO_NULL_ARGUMENT);

  /* Authenticate: the record of the caller, its use noted. */
  pseudo_access_token_list *who = NULL;
  EXPECT(pseudo_registry_authenticate(reg, secret, now_s + 10, &who), PSEUDO_OK);
  CHECK(pseudo_access_token_list_len(who) == 1);
  EXPECT(pseudo_access_token_list_get(who, 0, &rec), PSEUDO_OK);
  CHECK(strcmp(rec.principal, "olivia") == 0 && rec.used && rec.last_used == now_s + 10);
  pseudo_access_token_list_free(who);
  who = NULL;
  EXPECT(pseudo_registry_authenticate(NULL, secret, now_s, &who), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_authenticate(reg, NULL, now_s, &who), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_authenticate(reg, secret, now_s, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_authenticate(reg, "pseudo_pat_\xff", now_s, &who), PSEUDO_INVALID_UTF8);
  /* Wrong (a well-formed secret of another registry), truncated, bad checksum, expired. */
  pseudo_registry *other = NULL;
  EXPECT(pseudo_registry_new_in_memory(0, &other), PSEUDO_OK);
  pseudo_new_access_token *foreign = NULL;
  EXPECT(pseudo_registry_create_access_token(other, &owner, PSEUDO_ACCESS_PERSONAL, NULL, "x", 60, now_s, &foreign),
         PSEUDO_OK);
  const char *fsecret = NULL;
  EXPECT(pseudo_new_access_token_secret(foreign, &fsecret, &len), PSEUDO_OK);
  EXPECT(pseudo_registry_authenticate(reg, fsecret, now_s, &who), PSEUDO_AUTHENTICATION_FAILED);
  pseudo_new_access_token_free(foreign);
  pseudo_registry_free(other);
  char typo[128];
  snprintf(typo, sizeof typo, "%s", secret);
  typo[strlen(typo) - 2] = 0;
  REFUSED(pseudo_registry_authenticate(reg, typo, now_s, &who), PSEUDO_INVALID_SECRET, "wrong_length");
  snprintf(typo, sizeof typo, "%s", secret);
  typo[11] = typo[11] == 'x' ? 'y' : 'x';
  REFUSED(pseudo_registry_authenticate(reg, typo, now_s, &who), PSEUDO_INVALID_SECRET, "bad_checksum");
  REFUSED(pseudo_registry_authenticate(reg, "", now_s, &who), PSEUDO_INVALID_SECRET, "wrong_prefix");
  EXPECT(pseudo_registry_authenticate(reg, secret, now_s + 31 * DAY, &who), PSEUDO_AUTHENTICATION_FAILED);
  CHECK(who == NULL);

  /* Service tokens: an administrator, for a service account. */
  pseudo_new_access_token *sat = NULL;
  REFUSED(pseudo_registry_create_access_token(reg, &owner, PSEUDO_ACCESS_SERVICE, &svc, "etl", 600, now_s, &sat),
          PSEUDO_PERMISSION_DENIED, "not_admin");
  REFUSED(pseudo_registry_create_access_token(reg, &svc, PSEUDO_ACCESS_PERSONAL, NULL, "etl", 600, now_s, &sat),
          PSEUDO_PERMISSION_DENIED, "service_account");
  EXPECT(pseudo_registry_create_access_token(reg, &admin, PSEUDO_ACCESS_SERVICE, NULL, "etl", 600, now_s, &sat),
         PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_create_access_token(reg, &admin, PSEUDO_ACCESS_SERVICE, &owner, "etl", 600, now_s, &sat),
         PSEUDO_INVALID_INPUT);
  EXPECT(pseudo_registry_create_access_token(reg, &admin, PSEUDO_ACCESS_PERSONAL, &svc, "etl", 600, now_s, &sat),
         PSEUDO_INVALID_INPUT);
  EXPECT(pseudo_registry_create_access_token(reg, &admin, 5, NULL, "etl", 600, now_s, &sat), PSEUDO_INVALID_ARGUMENT);
  EXPECT(pseudo_registry_create_access_token(reg, &admin, PSEUDO_ACCESS_PERSONAL, NULL, "etl", 0, now_s, &sat),
         PSEUDO_INVALID_INPUT);
  EXPECT(pseudo_registry_create_access_token(reg, &admin, PSEUDO_ACCESS_PERSONAL, NULL, "", 60, now_s, &sat),
         PSEUDO_INVALID_INPUT);
  EXPECT(pseudo_registry_create_access_token(NULL, &admin, PSEUDO_ACCESS_PERSONAL, NULL, "etl", 60, now_s, &sat),
         PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_create_access_token(reg, NULL, PSEUDO_ACCESS_PERSONAL, NULL, "etl", 60, now_s, &sat),
         PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_create_access_token(reg, &admin, PSEUDO_ACCESS_PERSONAL, NULL, NULL, 60, now_s, &sat),
         PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_create_access_token(reg, &admin, PSEUDO_ACCESS_PERSONAL, NULL, "etl", 60, now_s, NULL),
         PSEUDO_NULL_ARGUMENT);
  CHECK(sat == NULL);
  EXPECT(pseudo_registry_create_access_token(reg, &admin, PSEUDO_ACCESS_SERVICE, &svc, "etl", 600, now_s, &sat),
         PSEUDO_OK);
  const char *ssecret = NULL;
  EXPECT(pseudo_new_access_token_secret(sat, &ssecret, &len), PSEUDO_OK);
  CHECK(strncmp(ssecret, "pseudo_sat_", 11) == 0);
  EXPECT(pseudo_new_access_token_record(sat, &rec), PSEUDO_OK);
  CHECK(rec.kind == PSEUDO_ACCESS_SERVICE && strcmp(rec.principal, "etl-bot") == 0 &&
        strcmp(rec.created_by, "admin") == 0);
  char sid[64];
  snprintf(sid, sizeof sid, "%s", rec.id);
  EXPECT(pseudo_registry_authenticate(reg, ssecret, now_s, &who), PSEUDO_OK);
  EXPECT(pseudo_access_token_list_get(who, 0, &rec), PSEUDO_OK);
  CHECK(strcmp(rec.principal, "etl-bot") == 0);
  pseudo_access_token_list_free(who);
  who = NULL;

  /* Lifecycle: delete only revoked, restore only revoked and unexpired. */
  REFUSED(pseudo_registry_delete_access_token(reg, &admin, sid), PSEUDO_INVALID_STATE, "active");
  REFUSED(pseudo_registry_restore_access_token(reg, &admin, sid, now_s), PSEUDO_INVALID_STATE, "not_revoked");
  REFUSED(pseudo_registry_revoke_access_token(reg, &outsider, sid), PSEUDO_PERMISSION_DENIED, "not_holder");
  EXPECT(pseudo_registry_revoke_access_token(NULL, &admin, sid), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_revoke_access_token(reg, NULL, sid), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_revoke_access_token(reg, &admin, NULL), PSEUDO_NULL_ARGUMENT);
  REFUSED(pseudo_registry_revoke_access_token(reg, &admin, "at_none"), PSEUDO_NOT_FOUND, "unknown_access_token");
  EXPECT(pseudo_registry_revoke_access_token(reg, &admin, sid), PSEUDO_OK);
  EXPECT(pseudo_registry_authenticate(reg, ssecret, now_s, &who), PSEUDO_AUTHENTICATION_FAILED);
  EXPECT(pseudo_registry_restore_access_token(NULL, &admin, sid, now_s), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_restore_access_token(reg, NULL, sid, now_s), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_restore_access_token(reg, &admin, NULL, now_s), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_restore_access_token(reg, &admin, sid, now_s), PSEUDO_OK);
  EXPECT(pseudo_registry_authenticate(reg, ssecret, now_s, &who), PSEUDO_OK);
  pseudo_access_token_list_free(who);
  who = NULL;
  EXPECT(pseudo_registry_revoke_access_token(reg, &admin, sid), PSEUDO_OK);
  REFUSED(pseudo_registry_restore_access_token(reg, &admin, sid, now_s + 601), PSEUDO_INVALID_STATE, "expired");
  EXPECT(pseudo_registry_delete_access_token(NULL, &admin, sid), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_delete_access_token(reg, NULL, sid), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_delete_access_token(reg, &admin, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_delete_access_token(reg, &admin, sid), PSEUDO_OK);
  REFUSED(pseudo_registry_restore_access_token(reg, &admin, sid, now_s), PSEUDO_NOT_FOUND, "unknown_access_token");

  /* The list holds records, never a secret. */
  pseudo_access_token_list *all = NULL;
  EXPECT(pseudo_registry_access_tokens(reg, &all), PSEUDO_OK);
  CHECK(pseudo_access_token_list_len(all) == 1);
  EXPECT(pseudo_access_token_list_get(all, 0, &rec), PSEUDO_OK);
  CHECK(strcmp(rec.id, id) == 0 && rec.used && rec.last_used == now_s + 10);
  const char *fields[] = {rec.id, rec.name, rec.principal, rec.organisation, rec.created_by};
  for (unsigned i = 0; i < 5; i++) CHECK(strstr(fields[i], "pseudo_pat_") == NULL && strstr(secret, fields[i]) == NULL);
  EXPECT(pseudo_access_token_list_get(all, 1, &rec), PSEUDO_INDEX_OUT_OF_RANGE);
  EXPECT(pseudo_access_token_list_get(NULL, 0, &rec), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_access_token_list_get(all, 0, NULL), PSEUDO_NULL_ARGUMENT);
  CHECK(pseudo_access_token_list_len(NULL) == 0);
  pseudo_access_token_list_free(all);
  pseudo_access_token_list_free(NULL);
  EXPECT(pseudo_registry_access_tokens(NULL, &all), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_registry_access_tokens(reg, NULL), PSEUDO_NULL_ARGUMENT);

  pseudo_new_access_token_free(sat);
  pseudo_new_access_token_free(pat);
  pseudo_new_access_token_free(NULL);
}

/* The engine keeps the registry alive: its handle may be freed first. */
static void test_registry_outlived_by_engine(void) {
  pseudo_registry *reg = NULL;
  EXPECT(pseudo_registry_new_in_memory(0, &reg), PSEUDO_OK);
  char req[64];
  approved(reg, "E1", PSEUDO_METHOD_REVERSIBLE, false, req, sizeof req);
  pseudo_issue_request ir = issue_req(req, PSEUDO_TOKEN_PSEUDONYMISE);
  pseudo_token *t = NULL;
  EXPECT(pseudo_registry_issue_token(reg, auth, &researcher, &ir, now_s, &t), PSEUDO_OK);
  pseudo_engine *engine = wired_engine(reg);
  pseudo_registry_free(reg);
  EXPECT(use(engine, text_of(t), now_s), PSEUDO_OK);
  pseudo_engine_free(engine);
  pseudo_token_free(t);
}

/* Threads issuing, using and revoking at once: nothing lost, no revoked token let through. */
struct worker {
  const pseudo_registry *reg;
  const pseudo_engine *engine;
  const char *request;
  int ok;
};

static void *worker_main(void *p) {
  struct worker *w = p;
  w->ok = 1;
  for (int i = 0; i < 5; i++) {
    pseudo_issue_request ir = issue_req(w->request, PSEUDO_TOKEN_PSEUDONYMISE);
    pseudo_token *t = NULL;
    if (pseudo_registry_issue_token(w->reg, auth, &researcher, &ir, now_s, &t) != PSEUDO_OK) {
      w->ok = 0;
      return NULL;
    }
    const char *jti = NULL;
    if (pseudo_token_jti(t, &jti) != PSEUDO_OK || use(w->engine, text_of(t), now_s) != PSEUDO_OK ||
        pseudo_registry_revoke_token(w->reg, &researcher, jti) != PSEUDO_OK ||
        use(w->engine, text_of(t), now_s) != PSEUDO_TOKEN_REVOKED)
      w->ok = 0;
    pseudo_token_free(t);
  }
  return NULL;
}

static void test_threads(const pseudo_registry *reg) {
  char req[64];
  approved(reg, "T1", PSEUDO_METHOD_REVERSIBLE, false, req, sizeof req);
  pseudo_engine *engine = wired_engine(reg);
  pseudo_token_list *before = NULL;
  EXPECT(pseudo_registry_tokens(reg, &before), PSEUDO_OK);
  size_t n0 = pseudo_token_list_len(before);
  pseudo_token_list_free(before);
  pthread_t th[4];
  struct worker w[4];
  for (int i = 0; i < 4; i++) {
    w[i].reg = reg;
    w[i].engine = engine;
    w[i].request = req;
    CHECK(pthread_create(&th[i], NULL, worker_main, &w[i]) == 0);
  }
  for (int i = 0; i < 4; i++) CHECK(pthread_join(th[i], NULL) == 0 && w[i].ok);
  pseudo_token_list *after = NULL;
  EXPECT(pseudo_registry_tokens(reg, &after), PSEUDO_OK);
  CHECK(pseudo_token_list_len(after) == n0 + 20);
  pseudo_token_list_free(after);
  pseudo_engine_free(engine);
}

static void run_all(const pseudo_registry *reg) {
  test_projects_and_requests(reg);
  test_issuing_policy(reg);
  test_lifecycle(reg);
  test_access_tokens(reg);
  test_threads(reg);
}

int main(void) {
  now_s = (int64_t)time(NULL);
  admin = principal("admin", ORG1, PSEUDO_ROLE_ADMIN);
  owner = principal("olivia", ORG1, PSEUDO_ROLE_USER);
  researcher = principal("rahul", ORG2, PSEUDO_ROLE_USER);
  outsider = principal("eve", ORG3, PSEUDO_ROLE_USER);
  svc = principal("etl-bot", ORG1, PSEUDO_ROLE_SERVICE_ACCOUNT);
  EXPECT(pseudo_signing_key_generate(&sk), PSEUDO_OK);
  EXPECT(pseudo_signing_key_verifying_key(sk, &vk), PSEUDO_OK);
  EXPECT(pseudo_authority_new(sk, ISS, AUD, &auth), PSEUDO_OK);
  EXPECT(pseudo_keyring_generate(1, now_s, &ring), PSEUDO_OK);

  char dir[256];
  snprintf(dir, sizeof dir, "/tmp/pseudo-test-registry-%ld-%ld", (long)getpid(), (long)now_s);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
  CHECK(system(cmd) == 0);

  test_statuses_and_detail();
  test_open(dir);

  pseudo_registry *mem = NULL;
  EXPECT(pseudo_registry_new_in_memory(0, &mem), PSEUDO_OK);
  run_all(mem);
  pseudo_registry_free(mem);

  char path[300];
  snprintf(path, sizeof path, "%s/lifecycle.db", dir);
  pseudo_registry *file = NULL;
  EXPECT(pseudo_registry_open(path, 0, &file), PSEUDO_OK);
  run_all(file);
  pseudo_registry_free(file);

  test_registry_outlived_by_engine();

  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CHECK(system(cmd) == 0);
  pseudo_keyring_free(ring);
  pseudo_authority_free(auth);
  pseudo_verifying_key_free(vk);
  pseudo_signing_key_free(sk);
  printf("registry: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
