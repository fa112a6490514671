//! A tour of pseudo-core, top to bottom: keys, the three token types, pseudonymise, secondary,
//! reverse both levels, and a reverse refused after retention. Run it with `make demo`.

use std::time::Duration;

use pseudo_core::wire::{handle, WireRequest};
use pseudo_core::*;

const ISSUER: &str = "https://portal.example";
const AUDIENCE: &str = "pseudo-engine";
const DAY: u64 = 86_400;

fn main() -> Result<()> {
    // 1. Keys. The authority signs tokens with Ed25519; the engine holds master keys (a static
    //    secret and a retention chain per version) and only the authority's public key.
    let signing = SigningKey::generate()?;
    let verifying = signing.verifying_key().clone();
    println!("authority key id (kid): {}", verifying.kid());
    let keyring = Keyring::new(MasterKey::generate(1)?);
    let engine = Engine::new(keyring, &[verifying], EngineOptions::new(ISSUER, AUDIENCE))?;
    let authority = Authority::new(signing, ISSUER, AUDIENCE)?;

    // 2. Two projects: a hospital's reversible cohort, and a research project that joins it
    //    under its own (level-2) pseudonyms.
    let hospital = OrgId::from_u128(0x1111_1111_1111_1111_1111_1111_1111_1111);
    let research = OrgId::from_u128(0x2222_2222_2222_2222_2222_2222_2222_2222);
    let cohort = ProjectConfig {
        method: Method::Reversible,
        retention_end: Timestamp::now().saturating_add(Duration::from_secs(5 * 365 * DAY)),
        treatment: Treatment::Same,
        format: OutputFormat::Base64url,
    };
    let study = ProjectConfig { format: OutputFormat::Hex, ..cohort };
    let token = |kind, project: &str, org, config| {
        authority.issue(&TokenRequest {
            kind,
            subject: "etl-service".into(),
            organisation: org,
            project: ProjectId::new(project).expect("valid id"),
            request: "request-42".into(),
            config,
            lifetime: Duration::from_secs(3600),
            key_version: None,
        })
    };

    // 3. Pseudonymise (level 1).
    let psn = token(TokenKind::Pseudonymise, "cohort-2026", hospital, cohort)?;
    println!("\nissued {:?} token {} (shown once; expires {})", psn.token_type(), psn.jti(), psn.expires_at().unix());
    let values = ["Example PID 1", "Example PID 2", "Example PID 1"];
    let level1 = engine.pseudonymise(psn.token(), &values)?;
    println!("\nlevel 1 (treatment `same`: equal values, equal pseudonyms):");
    for (v, p) in values.iter().zip(&level1) {
        println!("  {v:<14} -> {p}");
    }

    // 4. Secondary (level 2): the research project re-pseudonymises the cohort's pseudonyms.
    let source = SourceRef {
        project: ProjectId::new("cohort-2026")?,
        organisation: hospital,
        method: cohort.method,
        retention_end: cohort.retention_end,
        format: cohort.format,
        key_version: None,
    };
    let sec = token(TokenKind::Secondary(source.clone()), "study-7", research, study)?;
    let level2 = engine.pseudonymise(sec.token(), &level1)?;
    println!("\nlevel 2 (study-7, hex):");
    for p in &level2 {
        println!("  {p}");
    }
    match engine.pseudonymise(sec.token(), &["Example PID 1"]) {
        Err(e) => println!("  an original value is not a level-1 pseudonym of the source: {e}"),
        Ok(_) => unreachable!("secondary tokens accept only the source's level-1 pseudonyms"),
    }

    // 5. Reverse both levels. Level 2 gives back level-1 pseudonyms, never the originals.
    let rev2 = token(TokenKind::Reverse(ReverseLevel::Level2(source)), "study-7", research, study)?;
    let back_to_level1 = engine.reverse(rev2.token(), &level2)?;
    assert_eq!(back_to_level1, level1);
    println!("\nreverse level 2 -> level-1 pseudonyms: {}", back_to_level1.join(", "));
    let rev1 = token(TokenKind::Reverse(ReverseLevel::Level1), "cohort-2026", hospital, cohort)?;
    let originals = engine.reverse(rev1.token(), &back_to_level1)?;
    assert_eq!(originals, values);
    println!("reverse level 1 -> originals: {}", originals.join(", "));

    // 6. The same through the INCERT wire format.
    let auth = format!("Bearer {}", psn.token());
    let response = handle(
        &engine,
        &WireRequest {
            path: wire::PATH_PSEUDONYMISE,
            authorization: Some(&auth),
            content_type: Some("application/json"),
            accept: None,
            body: br#"{"data": ["Example PID 1", "Example PID 2"]}"#,
        },
    );
    println!("\nPOST /api/request-psn -> {} {}", response.status, String::from_utf8_lossy(&response.body));
    let wrong = handle(
        &engine,
        &WireRequest {
            path: wire::PATH_REVERSE,
            authorization: Some(&auth),
            content_type: Some("text/csv"),
            accept: None,
            body: b"AQEBAAHD8Dr3bTVzMSkMlZHrStr7GzGDfxaFO8PFnOE5rQ",
        },
    );
    println!("POST /api/request-psn-rev with a psn token -> {} {}", wrong.status, String::from_utf8_lossy(&wrong.body));

    // 7. Retention ends: reversal is refused, and once the engine's key chain has moved past the
    //    retention day, the keys cannot be computed any more (crypto-shredding).
    let short = ProjectConfig { retention_end: Timestamp::now().saturating_add(Duration::from_secs(DAY)), ..cohort };
    let psn_short = token(TokenKind::Pseudonymise, "pilot", hospital, short)?;
    let rev_short = token(TokenKind::Reverse(ReverseLevel::Level1), "pilot", hospital, short)?;
    let pilot = engine.pseudonymise(psn_short.token(), &["Example PID 3"])?;
    let later = Timestamp::now().saturating_add(Duration::from_secs(3 * DAY));
    match engine.call(Operation::Reverse, rev_short.token(), &pilot, BatchMode::Strict, later) {
        Err(e) => println!("\nreverse three days after retention end: refused ({e})"),
        Ok(_) => unreachable!("reversal after retention must be refused"),
    }
    println!("the engine's key chain now starts on day {}: persist it with Engine::export_keyring", later.day());
    Ok(())
}
