/* C consumer test of include/pseudo.h: every function, every error path.
 * Built by `make test-ffi` against libpseudo (shared, under valgrind) and statically with ASan. */
#include "pseudo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>

static int passed, failed;

static void check(int ok, const char *what, int line) {
  if (ok) {
    passed++;
  } else {
    failed++;
    char msg[512];
    size_t n = 0;
    if (pseudo_last_error_message(msg, sizeof msg, &n) != PSEUDO_OK) msg[0] = 0;
    fprintf(stderr, "FAIL line %d: %s (last error: %s)\n", line, what, msg);
  }
}
#define CHECK(c) check((c) ? 1 : 0, #c, __LINE__)
#define EXPECT(call, want) check((call) == (want), #call " == " #want, __LINE__)

static const char *ISS = "https://portal.example";
static const char *AUD = "pseudo-engine";
static const char *ORG = "6f1c2f9e-3d1a-4f7e-9a51-0c2b8d7e4a10";
static int64_t now_s;

static int last_error_contains(const char *needle) {
  char msg[512];
  size_t n = 0;
  if (pseudo_last_error_message(msg, sizeof msg, &n) != PSEUDO_OK) return 0;
  return strstr(msg, needle) != NULL && strlen(msg) == n;
}

static pseudo_str S(const char *s) {
  pseudo_str v = {s, strlen(s)};
  return v;
}

static pseudo_project_config config(pseudo_method m, pseudo_treatment t, pseudo_output_format f) {
  pseudo_project_config c = {m, now_s + 365 * 86400, t, f};
  return c;
}

static pseudo_token_request request(pseudo_token_kind kind, const char *project, pseudo_project_config cfg) {
  pseudo_token_request r;
  memset(&r, 0, sizeof r);
  r.kind = kind;
  r.subject = "alice";
  r.organisation = ORG;
  r.project = project;
  r.request = "req-1";
  r.config = cfg;
  r.lifetime_seconds = 3600;
  r.source = NULL;
  return r;
}

/* Fixture: one signing key, authority, keyring and engine. */
static pseudo_signing_key *sk;
static pseudo_verifying_key *vk;
static pseudo_authority *auth;
static pseudo_keyring *ring;
static pseudo_engine *engine;

static pseudo_token *issue(const pseudo_token_request *r) {
  pseudo_token *t = NULL;
  EXPECT(pseudo_authority_issue(auth, r, now_s, &t), PSEUDO_OK);
  return t;
}

static const char *text_of(const pseudo_token *t) {
  const char *p = NULL;
  size_t n = 0;
  if (pseudo_token_text(t, &p, &n) != PSEUDO_OK) return "";
  return p;
}

static void test_version_and_messages(void) {
  CHECK(strcmp(pseudo_version(), PSEUDO_VERSION_STRING) == 0);
  char buf[256];
  size_t n = 0;
  EXPECT(pseudo_status_message(PSEUDO_OK, buf, sizeof buf, &n), PSEUDO_OK);
  CHECK(strcmp(buf, "success") == 0 && n == 7);
  EXPECT(pseudo_status_message(PSEUDO_TOKEN_EXPIRED, buf, sizeof buf, &n), PSEUDO_OK);
  CHECK(strstr(buf, "expired") != NULL);
  EXPECT(pseudo_status_message(9999, buf, sizeof buf, &n), PSEUDO_OK);
  CHECK(strcmp(buf, "unknown status code") == 0);
  /* size query, too small, NULL arguments */
  n = 0;
  EXPECT(pseudo_status_message(PSEUDO_OK, NULL, 0, &n), PSEUDO_BUFFER_TOO_SMALL);
  CHECK(n == 8);
  memset(buf, 'x', sizeof buf);
  EXPECT(pseudo_status_message(PSEUDO_OK, buf, 7, &n), PSEUDO_BUFFER_TOO_SMALL);
  CHECK(n == 8 && buf[0] == 'x');
  EXPECT(pseudo_status_message(PSEUDO_OK, buf, 8, &n), PSEUDO_OK);
  CHECK(n == 7 && buf[7] == 0);
  EXPECT(pseudo_status_message(PSEUDO_OK, buf, sizeof buf, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_status_message(PSEUDO_OK, NULL, 10, &n), PSEUDO_NULL_ARGUMENT);

  /* last error: set by a failure, untouched by the message functions themselves */
  pseudo_keyring *k = NULL;
  EXPECT(pseudo_keyring_generate(1, now_s, NULL), PSEUDO_NULL_ARGUMENT);
  CHECK(last_error_contains("`out` is NULL"));
  EXPECT(pseudo_last_error_message(NULL, 0, &n), PSEUDO_BUFFER_TOO_SMALL);
  CHECK(n == strlen("argument `out` is NULL") + 1);
  EXPECT(pseudo_last_error_message(buf, 3, &n), PSEUDO_BUFFER_TOO_SMALL);
  EXPECT(pseudo_last_error_message(buf, sizeof buf, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_last_error_message(NULL, 5, &n), PSEUDO_NULL_ARGUMENT);
  CHECK(last_error_contains("`out` is NULL"));
  (void)k;
}

static void roundtrip_master(const pseudo_master_key *mk, pseudo_key_encoding enc) {
  size_t need = 0, n = 0;
  EXPECT(pseudo_master_key_export(mk, enc, NULL, 0, &need), PSEUDO_BUFFER_TOO_SMALL);
  CHECK(need > 40);
  unsigned char *a = malloc(need), *b = malloc(need);
  EXPECT(pseudo_master_key_export(mk, enc, a, need - 1, &n), PSEUDO_BUFFER_TOO_SMALL);
  CHECK(n == need);
  EXPECT(pseudo_master_key_export(mk, enc, a, need, &n), PSEUDO_OK);
  CHECK(n == need);
  pseudo_master_key *back = NULL;
  EXPECT(pseudo_master_key_from_bytes(a, n, &back), PSEUDO_OK);
  EXPECT(pseudo_master_key_export(back, enc, b, need, &n), PSEUDO_OK);
  CHECK(n == need && memcmp(a, b, need) == 0);
  pseudo_master_key_free(back);
  free(a);
  free(b);
}

static void test_master_key_and_keyring(void) {
  pseudo_master_key *mk = NULL, *mk2 = NULL;
  EXPECT(pseudo_master_key_generate(1, now_s, &mk), PSEUDO_OK);
  EXPECT(pseudo_master_key_generate(2, now_s, &mk2), PSEUDO_OK);
  EXPECT(pseudo_master_key_generate(1, now_s, NULL), PSEUDO_NULL_ARGUMENT);
  uint16_t v = 0;
  EXPECT(pseudo_master_key_version(mk2, &v), PSEUDO_OK);
  CHECK(v == 2);
  EXPECT(pseudo_master_key_version(NULL, &v), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_master_key_version(mk, NULL), PSEUDO_NULL_ARGUMENT);
  roundtrip_master(mk, PSEUDO_KEY_ENCODING_RAW);
  roundtrip_master(mk, PSEUDO_KEY_ENCODING_HEX);
  roundtrip_master(mk, PSEUDO_KEY_ENCODING_BASE64);
  unsigned char buf[512];
  size_t n = 0;
  EXPECT(pseudo_master_key_export(mk, 7, buf, sizeof buf, &n), PSEUDO_INVALID_ARGUMENT);
  EXPECT(pseudo_master_key_export(NULL, 0, buf, sizeof buf, &n), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_master_key_export(mk, 0, buf, sizeof buf, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_master_key_export(mk, 0, NULL, 100, &n), PSEUDO_NULL_ARGUMENT);
  pseudo_master_key *bad = NULL;
  EXPECT(pseudo_master_key_from_bytes((const uint8_t *)"not a key", 9, &bad), PSEUDO_INVALID_KEY);
  CHECK(bad == NULL);
  EXPECT(pseudo_master_key_from_bytes(NULL, 5, &bad), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_master_key_from_bytes(NULL, 0, &bad), PSEUDO_INVALID_KEY);
  EXPECT(pseudo_master_key_from_bytes(buf, 1, NULL), PSEUDO_NULL_ARGUMENT);
  CHECK(bad == NULL);

  pseudo_keyring *r = NULL;
  EXPECT(pseudo_keyring_new(mk, &r), PSEUDO_OK);
  EXPECT(pseudo_keyring_new(NULL, &r), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_keyring_new(mk, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_keyring_add(r, mk2), PSEUDO_OK);
  EXPECT(pseudo_keyring_add(r, mk2), PSEUDO_INVALID_INPUT); /* version 2 already there */
  EXPECT(pseudo_keyring_add(NULL, mk2), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_keyring_add(r, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_keyring_primary_version(r, &v), PSEUDO_OK);
  CHECK(v == 1);
  EXPECT(pseudo_keyring_set_primary(r, 2), PSEUDO_OK);
  EXPECT(pseudo_keyring_set_primary(r, 9), PSEUDO_INVALID_KEY);
  EXPECT(pseudo_keyring_set_primary(NULL, 2), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_keyring_primary_version(r, &v), PSEUDO_OK);
  CHECK(v == 2);
  EXPECT(pseudo_keyring_primary_version(NULL, &v), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_keyring_primary_version(r, NULL), PSEUDO_NULL_ARGUMENT);

  /* export (hex) and read back: same bytes, same primary */
  size_t need = 0;
  EXPECT(pseudo_keyring_export(r, PSEUDO_KEY_ENCODING_HEX, NULL, 0, &need), PSEUDO_BUFFER_TOO_SMALL);
  char *hex = malloc(need);
  EXPECT(pseudo_keyring_export(r, PSEUDO_KEY_ENCODING_HEX, (uint8_t *)hex, need, &n), PSEUDO_OK);
  pseudo_keyring *r2 = NULL;
  EXPECT(pseudo_keyring_from_bytes((const uint8_t *)hex, n, &r2), PSEUDO_OK);
  EXPECT(pseudo_keyring_primary_version(r2, &v), PSEUDO_OK);
  CHECK(v == 2);
  char *hex2 = malloc(need);
  EXPECT(pseudo_keyring_export(r2, PSEUDO_KEY_ENCODING_HEX, (uint8_t *)hex2, need, &n), PSEUDO_OK);
  CHECK(memcmp(hex, hex2, need) == 0);
  EXPECT(pseudo_keyring_export(r2, 3, (uint8_t *)hex2, need, &n), PSEUDO_INVALID_ARGUMENT);
  EXPECT(pseudo_keyring_export(NULL, 0, (uint8_t *)hex2, need, &n), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_keyring_export(r2, 0, (uint8_t *)hex2, need, NULL), PSEUDO_NULL_ARGUMENT);
  hex[0] = 'z'; /* no longer hex, nor base64 of a key */
  pseudo_keyring *r3 = NULL;
  EXPECT(pseudo_keyring_from_bytes((const uint8_t *)hex, n, &r3), PSEUDO_INVALID_KEY);
  EXPECT(pseudo_keyring_from_bytes(NULL, 4, &r3), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_keyring_from_bytes((const uint8_t *)hex, n, NULL), PSEUDO_NULL_ARGUMENT);
  CHECK(r3 == NULL);
  EXPECT(pseudo_keyring_generate(3, now_s, &r3), PSEUDO_OK);
  EXPECT(pseudo_keyring_primary_version(r3, &v), PSEUDO_OK);
  CHECK(v == 3);
  free(hex);
  free(hex2);
  pseudo_keyring_free(r);
  pseudo_keyring_free(r2);
  pseudo_keyring_free(r3);
  pseudo_master_key_free(mk);
  pseudo_master_key_free(mk2);
  pseudo_master_key_free(NULL);
  pseudo_keyring_free(NULL);
}

static void test_signing_and_verifying_keys(void) {
  pseudo_signing_key *k = NULL, *k2 = NULL;
  EXPECT(pseudo_signing_key_generate(&k), PSEUDO_OK);
  EXPECT(pseudo_signing_key_generate(NULL), PSEUDO_NULL_ARGUMENT);
  size_t need = 0, n = 0;
  EXPECT(pseudo_signing_key_to_pem(k, NULL, 0, &need), PSEUDO_BUFFER_TOO_SMALL);
  char *pem = malloc(need), *pem2 = malloc(need);
  EXPECT(pseudo_signing_key_to_pem(k, pem, need - 1, &n), PSEUDO_BUFFER_TOO_SMALL);
  EXPECT(pseudo_signing_key_to_pem(k, pem, need, &n), PSEUDO_OK);
  CHECK(n == need - 1 && strstr(pem, "-----BEGIN PRIVATE KEY-----") == pem);
  EXPECT(pseudo_signing_key_to_pem(NULL, pem, need, &n), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_signing_key_to_pem(k, pem, need, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_signing_key_from_pem(pem, &k2), PSEUDO_OK);
  EXPECT(pseudo_signing_key_to_pem(k2, pem2, need, &n), PSEUDO_OK);
  CHECK(strcmp(pem, pem2) == 0);
  EXPECT(pseudo_signing_key_from_pem(NULL, &k2), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_signing_key_from_pem(pem, NULL), PSEUDO_NULL_ARGUMENT);
  pseudo_signing_key *bad = NULL;
  EXPECT(pseudo_signing_key_from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", &bad),
         PSEUDO_INVALID_KEY);
  EXPECT(pseudo_signing_key_from_pem("\xff\xfe", &bad), PSEUDO_INVALID_UTF8);
  CHECK(bad == NULL);

  pseudo_verifying_key *v = NULL, *v2 = NULL, *v3 = NULL;
  EXPECT(pseudo_signing_key_verifying_key(k, &v), PSEUDO_OK);
  EXPECT(pseudo_signing_key_verifying_key(NULL, &v2), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_signing_key_verifying_key(k, NULL), PSEUDO_NULL_ARGUMENT);
  char vpem[512], jwk[512], kid[128], kid2[128], kid3[128];
  EXPECT(pseudo_verifying_key_to_pem(v, vpem, sizeof vpem, &n), PSEUDO_OK);
  CHECK(strstr(vpem, "-----BEGIN PUBLIC KEY-----") == vpem);
  EXPECT(pseudo_verifying_key_to_jwk(v, jwk, sizeof jwk, &n), PSEUDO_OK);
  CHECK(strstr(jwk, "\"Ed25519\"") != NULL && strstr(jwk, "\"kid\"") != NULL);
  EXPECT(pseudo_verifying_key_kid(v, kid, sizeof kid, &n), PSEUDO_OK);
  CHECK(n == 43); /* base64url SHA-256 thumbprint */
  EXPECT(pseudo_verifying_key_from_pem(vpem, &v2), PSEUDO_OK);
  EXPECT(pseudo_verifying_key_kid(v2, kid2, sizeof kid2, &n), PSEUDO_OK);
  EXPECT(pseudo_verifying_key_from_jwk(jwk, &v3), PSEUDO_OK);
  EXPECT(pseudo_verifying_key_kid(v3, kid3, sizeof kid3, &n), PSEUDO_OK);
  CHECK(strcmp(kid, kid2) == 0 && strcmp(kid, kid3) == 0);
  EXPECT(pseudo_verifying_key_kid(v3, kid3, 5, &n), PSEUDO_BUFFER_TOO_SMALL);
  CHECK(n == 44);
  EXPECT(pseudo_verifying_key_to_jwk(v3, jwk, 5, &n), PSEUDO_BUFFER_TOO_SMALL);
  EXPECT(pseudo_verifying_key_to_pem(v3, vpem, 5, &n), PSEUDO_BUFFER_TOO_SMALL);
  EXPECT(pseudo_verifying_key_to_pem(NULL, vpem, sizeof vpem, &n), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_verifying_key_to_jwk(NULL, jwk, sizeof jwk, &n), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_verifying_key_kid(NULL, kid, sizeof kid, &n), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_verifying_key_kid(v, kid, sizeof kid, NULL), PSEUDO_NULL_ARGUMENT);
  pseudo_verifying_key *badv = NULL;
  EXPECT(pseudo_verifying_key_from_pem("nope", &badv), PSEUDO_INVALID_KEY);
  EXPECT(pseudo_verifying_key_from_jwk("{\"kty\":\"RSA\"}", &badv), PSEUDO_INVALID_KEY);
  EXPECT(pseudo_verifying_key_from_jwk("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}", &badv), PSEUDO_INVALID_KEY);
  EXPECT(pseudo_verifying_key_from_jwk("\xc3\x28", &badv), PSEUDO_INVALID_UTF8);
  /* Weak keys (the identity and an order-8 point) and keys not meant for verification. */
  EXPECT(pseudo_verifying_key_from_jwk(
             "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", &badv),
         PSEUDO_INVALID_KEY);
  EXPECT(pseudo_verifying_key_from_jwk(
             "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"JuiVj8KyJ7BFw_SJ8u-Y8NXfrAXTxjM5sTgCiG1T_AU\"}", &badv),
         PSEUDO_INVALID_KEY);
  {
    /* The same public key, marked for encryption only. */
    const char *x = strstr(jwk, "\"x\":\"") + 5;
    int xlen = (int)(strchr(x, '"') - x);
    char use_enc[512];
    snprintf(use_enc, sizeof use_enc, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%.*s\",\"use\":\"enc\"}", xlen, x);
    EXPECT(pseudo_verifying_key_from_jwk(use_enc, &badv), PSEUDO_INVALID_KEY);
    CHECK(last_error_contains("\"use\""));
  }
  EXPECT(pseudo_verifying_key_from_pem(NULL, &badv), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_verifying_key_from_jwk(NULL, &badv), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_verifying_key_from_pem(vpem, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_verifying_key_from_jwk(jwk, NULL), PSEUDO_NULL_ARGUMENT);
  CHECK(badv == NULL);
  free(pem);
  free(pem2);
  pseudo_verifying_key_free(v);
  pseudo_verifying_key_free(v2);
  pseudo_verifying_key_free(v3);
  pseudo_verifying_key_free(NULL);
  pseudo_signing_key_free(k);
  pseudo_signing_key_free(k2);
  pseudo_signing_key_free(NULL);
}

static pseudo_engine *make_engine(const pseudo_keyring *r, const pseudo_verifying_key *key, const char *iss,
                                  size_t max_items) {
  pseudo_engine_options o;
  EXPECT(pseudo_engine_options_init(&o), PSEUDO_OK);
  o.issuer = iss;
  o.audience = AUD;
  if (max_items) o.max_items = max_items;
  pseudo_engine *e = NULL;
  const pseudo_verifying_key *keys[1] = {key};
  EXPECT(pseudo_engine_new(r, keys, 1, &o, &e), PSEUDO_OK);
  return e;
}

static void test_fixture_and_engine_new(void) {
  EXPECT(pseudo_signing_key_generate(&sk), PSEUDO_OK);
  EXPECT(pseudo_signing_key_verifying_key(sk, &vk), PSEUDO_OK);
  EXPECT(pseudo_authority_new(sk, ISS, AUD, &auth), PSEUDO_OK);
  EXPECT(pseudo_keyring_generate(1, now_s, &ring), PSEUDO_OK);
  engine = make_engine(ring, vk, ISS, 0);
  CHECK(engine != NULL);

  pseudo_authority *a = NULL;
  EXPECT(pseudo_authority_new(NULL, ISS, AUD, &a), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_authority_new(sk, NULL, AUD, &a), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_authority_new(sk, ISS, NULL, &a), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_authority_new(sk, ISS, AUD, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_authority_new(sk, "", AUD, &a), PSEUDO_INVALID_INPUT);
  EXPECT(pseudo_authority_new(sk, "\xff", AUD, &a), PSEUDO_INVALID_UTF8);
  CHECK(a == NULL);
  pseudo_authority_free(NULL);

  pseudo_engine_options o;
  EXPECT(pseudo_engine_options_init(NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_engine_options_init(&o), PSEUDO_OK);
  CHECK(o.issuer == NULL && o.max_items == 1000000 && o.max_item_bytes == 1024 && o.leeway_seconds == 30 && o.parallel);
  const pseudo_verifying_key *keys[2] = {vk, NULL};
  pseudo_engine *e = NULL;
  EXPECT(pseudo_engine_new(ring, keys, 1, &o, &e), PSEUDO_NULL_ARGUMENT); /* issuer NULL */
  o.issuer = ISS;
  o.audience = AUD;
  EXPECT(pseudo_engine_new(NULL, keys, 1, &o, &e), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_engine_new(ring, NULL, 1, &o, &e), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_engine_new(ring, keys, 2, &o, &e), PSEUDO_NULL_ARGUMENT); /* keys[1] NULL */
  EXPECT(pseudo_engine_new(ring, keys, 1, NULL, &e), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_engine_new(ring, keys, 1, &o, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_engine_new(ring, keys, 0, &o, &e), PSEUDO_INVALID_KEY); /* no verifying key */
  o.audience = "";
  EXPECT(pseudo_engine_new(ring, keys, 1, &o, &e), PSEUDO_INVALID_INPUT);
  o.audience = AUD;
  o.max_items = 0;
  EXPECT(pseudo_engine_new(ring, keys, 1, &o, &e), PSEUDO_INVALID_ARGUMENT);
  CHECK(e == NULL);
  pseudo_engine_free(NULL);

  bool changed = true;
  EXPECT(pseudo_engine_advance_keys(engine, now_s, &changed), PSEUDO_OK);
  CHECK(!changed); /* already at today */
  EXPECT(pseudo_engine_advance_keys(engine, now_s, NULL), PSEUDO_OK);
  EXPECT(pseudo_engine_advance_keys(NULL, now_s, &changed), PSEUDO_NULL_ARGUMENT);
  size_t need = 0, n = 0;
  EXPECT(pseudo_engine_export_keyring(engine, PSEUDO_KEY_ENCODING_RAW, NULL, 0, &need), PSEUDO_BUFFER_TOO_SMALL);
  uint8_t *raw = malloc(need);
  EXPECT(pseudo_engine_export_keyring(engine, PSEUDO_KEY_ENCODING_RAW, raw, need, &n), PSEUDO_OK);
  pseudo_keyring *back = NULL;
  EXPECT(pseudo_keyring_from_bytes(raw, n, &back), PSEUDO_OK);
  EXPECT(pseudo_engine_export_keyring(engine, 9, raw, need, &n), PSEUDO_INVALID_ARGUMENT);
  EXPECT(pseudo_engine_export_keyring(NULL, 0, raw, need, &n), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_engine_export_keyring(engine, 0, raw, need, NULL), PSEUDO_NULL_ARGUMENT);
  pseudo_keyring_free(back);
  free(raw);
}

static void test_issue(void) {
  pseudo_project_config cfg = config(PSEUDO_METHOD_REVERSIBLE, PSEUDO_TREATMENT_SAME, PSEUDO_FORMAT_BASE64URL);
  pseudo_token_request r = request(PSEUDO_TOKEN_PSEUDONYMISE, "cohort-2026", cfg);
  pseudo_token *t = issue(&r);
  const char *text = NULL, *jti = NULL;
  size_t n = 0;
  int64_t exp = 0;
  EXPECT(pseudo_token_text(t, &text, &n), PSEUDO_OK);
  CHECK(n > 100 && strlen(text) == n && strncmp(text, "eyJ", 3) == 0);
  EXPECT(pseudo_token_jti(t, &jti), PSEUDO_OK);
  CHECK(strlen(jti) == 22);
  EXPECT(pseudo_token_expires_at(t, &exp), PSEUDO_OK);
  CHECK(exp == now_s + 3600);
  EXPECT(pseudo_token_text(NULL, &text, &n), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_token_text(t, NULL, &n), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_token_text(t, &text, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_token_jti(NULL, &jti), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_token_jti(t, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_token_expires_at(NULL, &exp), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_token_expires_at(t, NULL), PSEUDO_NULL_ARGUMENT);
  pseudo_token_free(t);
  pseudo_token_free(NULL);

  pseudo_token *out = NULL;
  EXPECT(pseudo_authority_issue(NULL, &r, now_s, &out), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_authority_issue(auth, NULL, now_s, &out), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_authority_issue(auth, &r, now_s, NULL), PSEUDO_NULL_ARGUMENT);
  pseudo_token_request b = r;
  b.subject = NULL;
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_NULL_ARGUMENT);
  b = r;
  b.organisation = NULL;
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_NULL_ARGUMENT);
  b = r;
  b.project = NULL;
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_NULL_ARGUMENT);
  b = r;
  b.request = NULL;
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_NULL_ARGUMENT);
  b = r;
  b.subject = "\xe2\x82";
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_INVALID_UTF8);
  b = r;
  b.organisation = "not-a-uuid";
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_INVALID_INPUT);
  b = r;
  b.project = "has space";
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_INVALID_INPUT);
  b = r;
  b.lifetime_seconds = 0;
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_INVALID_INPUT);
  b = r;
  b.kind = 42;
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_INVALID_ARGUMENT);
  b = r;
  b.config.method = 42;
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_INVALID_ARGUMENT);
  b = r;
  b.config.treatment = 42;
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_INVALID_ARGUMENT);
  b = r;
  b.config.format = 42;
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_INVALID_ARGUMENT);
  b = r;
  b.config.retention_end = now_s - 1;
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_ISSUE_REFUSED);
  b = r;
  b.kind = PSEUDO_TOKEN_REVERSE_LEVEL1;
  b.config.method = PSEUDO_METHOD_NOT_REVERSIBLE;
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_ISSUE_REFUSED);
  CHECK(last_error_contains("reversible"));
  b = r;
  b.kind = PSEUDO_TOKEN_SECONDARY; /* needs a source */
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_NULL_ARGUMENT);
  pseudo_source_ref src = {"cohort-2026", ORG, PSEUDO_METHOD_REVERSIBLE, cfg.retention_end, PSEUDO_FORMAT_BASE64URL};
  b = r;
  b.source = &src; /* a psn token takes none */
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_INVALID_ARGUMENT);
  b.kind = PSEUDO_TOKEN_SECONDARY; /* source project == project */
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_ISSUE_REFUSED);
  pseudo_source_ref bad_src = src;
  bad_src.organisation = NULL;
  b.project = "secondary-1";
  b.source = &bad_src;
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_NULL_ARGUMENT);
  bad_src = src;
  bad_src.method = 9;
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_INVALID_ARGUMENT);
  bad_src = src;
  bad_src.project = NULL;
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_NULL_ARGUMENT);
  bad_src = src;
  bad_src.format = 9;
  EXPECT(pseudo_authority_issue(auth, &b, now_s, &out), PSEUDO_INVALID_ARGUMENT);
  CHECK(out == NULL);
}

static pseudo_batch *call(const pseudo_engine *e, pseudo_operation op, const pseudo_token *t, const pseudo_str *vals,
                          size_t n, pseudo_batch_mode mode, int64_t at, pseudo_status want) {
  pseudo_batch *b = NULL;
  pseudo_status s = pseudo_engine_call(e, op, text_of(t), vals, n, mode, at, &b);
  check(s == want, "pseudo_engine_call status", __LINE__);
  if (s != want) fprintf(stderr, "  got %u want %u\n", (unsigned)s, (unsigned)want);
  if (s != PSEUDO_OK) check(b == NULL, "no output on failure", __LINE__);
  return b;
}

static int item_equals(const pseudo_batch *b, size_t i, const char *want) {
  const char *p = NULL;
  size_t n = 0;
  if (pseudo_batch_get(b, i, &p, &n) != PSEUDO_OK) return 0;
  return n == strlen(want) && memcmp(p, want, n) == 0;
}

static char *item_copy(const pseudo_batch *b, size_t i) {
  const char *p = NULL;
  size_t n = 0;
  if (pseudo_batch_get(b, i, &p, &n) != PSEUDO_OK) return NULL;
  char *s = malloc(n + 1);
  memcpy(s, p, n);
  s[n] = 0;
  return s;
}

static void test_batches(void) {
  pseudo_project_config cfg = config(PSEUDO_METHOD_REVERSIBLE, PSEUDO_TREATMENT_SAME, PSEUDO_FORMAT_BASE64URL);
  pseudo_token_request r = request(PSEUDO_TOKEN_PSEUDONYMISE, "cohort-2026", cfg);
  pseudo_token *psn = issue(&r);
  r.kind = PSEUDO_TOKEN_REVERSE_LEVEL1;
  pseudo_token *rev = issue(&r);

  pseudo_str vals[3] = {S("Example PID 1"), S("Example PID 2"), S("Example PID 1")};
  pseudo_batch *p = call(engine, PSEUDO_OPERATION_PSEUDONYMISE, psn, vals, 3, PSEUDO_BATCH_STRICT, now_s, PSEUDO_OK);
  CHECK(pseudo_batch_len(p) == 3 && pseudo_batch_failed_count(p) == 0);
  char *p0 = item_copy(p, 0), *p1 = item_copy(p, 1), *p2 = item_copy(p, 2);
  CHECK(p0 && p1 && p2 && strcmp(p0, p2) == 0 && strcmp(p0, p1) != 0); /* treatment "same" */
  CHECK(strstr(p0, "Example") == NULL);
  pseudo_item_status is = 99;
  EXPECT(pseudo_batch_item_status(p, 1, &is), PSEUDO_OK);
  CHECK(is == PSEUDO_ITEM_OK);
  const char *ptr = NULL;
  size_t len = 0;
  EXPECT(pseudo_batch_get(p, 3, &ptr, &len), PSEUDO_INDEX_OUT_OF_RANGE);
  CHECK(ptr == NULL);
  EXPECT(pseudo_batch_get(NULL, 0, &ptr, &len), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_batch_get(p, 0, NULL, &len), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_batch_get(p, 0, &ptr, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_batch_item_status(p, 3, &is), PSEUDO_INDEX_OUT_OF_RANGE);
  EXPECT(pseudo_batch_item_status(NULL, 0, &is), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_batch_item_status(p, 0, NULL), PSEUDO_NULL_ARGUMENT);
  CHECK(pseudo_batch_len(NULL) == 0 && pseudo_batch_failed_count(NULL) == 0);

  /* reverse gives the originals back */
  pseudo_str back_in[3] = {S(p0), S(p1), S(p2)};
  pseudo_batch *o = call(engine, PSEUDO_OPERATION_REVERSE, rev, back_in, 3, PSEUDO_BATCH_STRICT, now_s, PSEUDO_OK);
  CHECK(item_equals(o, 0, "Example PID 1") && item_equals(o, 1, "Example PID 2") && item_equals(o, 2, "Example PID 1"));
  pseudo_batch_free(o);

  /* tampered pseudonym: opaque per-item failure; strict fails the whole batch */
  char *tampered = item_copy(p, 1);
  tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
  pseudo_str mixed[2] = {S(p0), S(tampered)};
  o = call(engine, PSEUDO_OPERATION_REVERSE, rev, mixed, 2, PSEUDO_BATCH_PER_ITEM, now_s, PSEUDO_OK);
  CHECK(pseudo_batch_len(o) == 2 && pseudo_batch_failed_count(o) == 1);
  CHECK(item_equals(o, 0, "Example PID 1"));
  EXPECT(pseudo_batch_get(o, 1, &ptr, &len), PSEUDO_ITEM_FAILED);
  EXPECT(pseudo_batch_item_status(o, 1, &is), PSEUDO_OK);
  CHECK(is == PSEUDO_ITEM_INVALID_PSEUDONYM);
  pseudo_batch_free(o);
  call(engine, PSEUDO_OPERATION_REVERSE, rev, mixed, 2, PSEUDO_BATCH_STRICT, now_s, PSEUDO_BATCH_FAILED);
  CHECK(last_error_contains("item 1"));
  CHECK(!last_error_contains("Example"));

  /* empty value and too long value, per item */
  char longv[1100];
  memset(longv, 'x', sizeof longv - 1);
  longv[sizeof longv - 1] = 0;
  pseudo_str odd[3] = {S("ok"), S(""), S(longv)};
  o = call(engine, PSEUDO_OPERATION_PSEUDONYMISE, psn, odd, 3, PSEUDO_BATCH_PER_ITEM, now_s, PSEUDO_OK);
  EXPECT(pseudo_batch_item_status(o, 0, &is), PSEUDO_OK);
  CHECK(is == PSEUDO_ITEM_OK);
  EXPECT(pseudo_batch_item_status(o, 1, &is), PSEUDO_OK);
  CHECK(is == PSEUDO_ITEM_EMPTY_VALUE);
  EXPECT(pseudo_batch_item_status(o, 2, &is), PSEUDO_OK);
  CHECK(is == PSEUDO_ITEM_TOO_LONG);
  pseudo_batch_free(o);

  /* wrong, expired, tampered, foreign tokens */
  call(engine, PSEUDO_OPERATION_PSEUDONYMISE, rev, vals, 3, PSEUDO_BATCH_STRICT, now_s, PSEUDO_WRONG_OPERATION);
  call(engine, PSEUDO_OPERATION_REVERSE, psn, back_in, 3, PSEUDO_BATCH_STRICT, now_s, PSEUDO_WRONG_OPERATION);
  call(engine, PSEUDO_OPERATION_PSEUDONYMISE, psn, vals, 3, PSEUDO_BATCH_STRICT, now_s + 7200, PSEUDO_TOKEN_EXPIRED);
  CHECK(last_error_contains("expired"));
  CHECK(!last_error_contains(text_of(psn)));
  call(engine, PSEUDO_OPERATION_PSEUDONYMISE, psn, vals, 3, PSEUDO_BATCH_STRICT, now_s - 7200,
       PSEUDO_TOKEN_NOT_YET_VALID);
  pseudo_batch *none = NULL;
  EXPECT(pseudo_engine_call(engine, 0, "garbage", vals, 3, 0, now_s, &none), PSEUDO_MALFORMED_TOKEN);
  {
    /* A token read from a file keeps its newline: accepted. A pasted header value: a hint. */
    size_t tl = strlen(text_of(psn));
    char *padded = malloc(tl + 16);
    snprintf(padded, tl + 16, " %s\r\n", text_of(psn));
    pseudo_batch *ok = NULL;
    EXPECT(pseudo_engine_call(engine, 0, padded, vals, 3, 0, now_s, &ok), PSEUDO_OK);
    pseudo_batch_free(ok);
    snprintf(padded, tl + 16, "Bearer %s", text_of(psn));
    EXPECT(pseudo_engine_call(engine, 0, padded, vals, 3, 0, now_s, &none), PSEUDO_MALFORMED_TOKEN);
    CHECK(last_error_contains("drop the 'Bearer ' prefix"));
    free(padded);
  }
  char *forged = malloc(strlen(text_of(psn)) + 1);
  strcpy(forged, text_of(psn));
  size_t fl = strlen(forged);
  forged[fl - 2] = forged[fl - 2] == 'A' ? 'B' : 'A'; /* a signature byte */
  EXPECT(pseudo_engine_call(engine, 0, forged, vals, 3, 0, now_s, &none), PSEUDO_INVALID_SIGNATURE);
  free(forged);
  pseudo_signing_key *other = NULL;
  pseudo_authority *other_auth = NULL;
  EXPECT(pseudo_signing_key_generate(&other), PSEUDO_OK);
  EXPECT(pseudo_authority_new(other, ISS, AUD, &other_auth), PSEUDO_OK);
  pseudo_token *foreign = NULL;
  r.kind = PSEUDO_TOKEN_PSEUDONYMISE;
  EXPECT(pseudo_authority_issue(other_auth, &r, now_s, &foreign), PSEUDO_OK);
  call(engine, PSEUDO_OPERATION_PSEUDONYMISE, foreign, vals, 3, PSEUDO_BATCH_STRICT, now_s, PSEUDO_UNKNOWN_KEY);
  pseudo_token_free(foreign);
  pseudo_authority_free(other_auth);
  pseudo_signing_key_free(other);
  pseudo_engine *e2 = make_engine(ring, vk, "https://other.example", 2);
  call(e2, PSEUDO_OPERATION_PSEUDONYMISE, psn, vals, 2, PSEUDO_BATCH_STRICT, now_s, PSEUDO_WRONG_ISSUER);
  call(e2, PSEUDO_OPERATION_PSEUDONYMISE, psn, vals, 3, PSEUDO_BATCH_STRICT, now_s, PSEUDO_LIMIT_EXCEEDED);
  pseudo_engine_free(e2);

  /* bad arguments */
  call(engine, PSEUDO_OPERATION_PSEUDONYMISE, psn, NULL, 0, PSEUDO_BATCH_STRICT, now_s, PSEUDO_INVALID_INPUT);
  call(engine, PSEUDO_OPERATION_PSEUDONYMISE, psn, vals, 0, PSEUDO_BATCH_STRICT, now_s, PSEUDO_INVALID_INPUT);
  CHECK(last_error_contains("empty"));
  call(engine, PSEUDO_OPERATION_PSEUDONYMISE, psn, NULL, 3, PSEUDO_BATCH_STRICT, now_s, PSEUDO_NULL_ARGUMENT);
  pseudo_str holes[2] = {S("a"), {NULL, 5}}; /* length does not match its (NULL) pointer */
  call(engine, PSEUDO_OPERATION_PSEUDONYMISE, psn, holes, 2, PSEUDO_BATCH_STRICT, now_s, PSEUDO_NULL_ARGUMENT);
  CHECK(last_error_contains("value 1"));
  pseudo_str huge[1] = {{"a", (size_t)-1}};
  call(engine, PSEUDO_OPERATION_PSEUDONYMISE, psn, huge, 1, PSEUDO_BATCH_STRICT, now_s, PSEUDO_INVALID_ARGUMENT);
  call(engine, PSEUDO_OPERATION_PSEUDONYMISE, psn, vals, (size_t)-1 / 2, PSEUDO_BATCH_STRICT, now_s,
       PSEUDO_INVALID_ARGUMENT);
  pseudo_str bad_utf8[2] = {S("fine"), {"\xc3\x28", 2}};
  call(engine, PSEUDO_OPERATION_PSEUDONYMISE, psn, bad_utf8, 2, PSEUDO_BATCH_STRICT, now_s, PSEUDO_INVALID_UTF8);
  CHECK(last_error_contains("value 1"));
  pseudo_str with_nul[1] = {{"a\0b", 3}}; /* an embedded NUL is valid UTF-8 and is kept */
  o = call(engine, PSEUDO_OPERATION_PSEUDONYMISE, psn, with_nul, 1, PSEUDO_BATCH_STRICT, now_s, PSEUDO_OK);
  pseudo_batch_free(o);
  EXPECT(pseudo_engine_call(engine, 7, text_of(psn), vals, 3, 0, now_s, &none), PSEUDO_INVALID_ARGUMENT);
  EXPECT(pseudo_engine_call(engine, 0, text_of(psn), vals, 3, 7, now_s, &none), PSEUDO_INVALID_ARGUMENT);
  EXPECT(pseudo_engine_call(NULL, 0, text_of(psn), vals, 3, 0, now_s, &none), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_engine_call(engine, 0, NULL, vals, 3, 0, now_s, &none), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_engine_call(engine, 0, text_of(psn), vals, 3, 0, now_s, NULL), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_engine_call(engine, 0, "\xff\xff", vals, 3, 0, now_s, &none), PSEUDO_INVALID_UTF8);
  CHECK(none == NULL);
  pseudo_batch_free(NULL);

  free(p0);
  free(p1);
  free(p2);
  free(tampered);
  pseudo_batch_free(p);
  pseudo_token_free(psn);
  pseudo_token_free(rev);
}

static void test_formats_and_secondary(void) {
  /* hex, not reversible: only [0-9a-f]; different: fresh pseudonyms */
  pseudo_token_request r = request(PSEUDO_TOKEN_PSEUDONYMISE, "hmac-proj",
                                   config(PSEUDO_METHOD_NOT_REVERSIBLE, PSEUDO_TREATMENT_SAME, PSEUDO_FORMAT_HEX));
  pseudo_token *t = issue(&r);
  pseudo_str v[2] = {S("x"), S("x")};
  pseudo_batch *b = call(engine, PSEUDO_OPERATION_PSEUDONYMISE, t, v, 2, PSEUDO_BATCH_STRICT, now_s, PSEUDO_OK);
  char *h = item_copy(b, 0);
  CHECK(h && strspn(h, "0123456789abcdef") == strlen(h) && item_equals(b, 1, h));
  free(h);
  pseudo_batch_free(b);
  pseudo_token_free(t);
  r = request(PSEUDO_TOKEN_PSEUDONYMISE, "rand-proj",
              config(PSEUDO_METHOD_REVERSIBLE, PSEUDO_TREATMENT_DIFFERENT, PSEUDO_FORMAT_BASE32));
  t = issue(&r);
  b = call(engine, PSEUDO_OPERATION_PSEUDONYMISE, t, v, 2, PSEUDO_BATCH_STRICT, now_s, PSEUDO_OK);
  h = item_copy(b, 0);
  CHECK(h && strspn(h, "abcdefghijklmnopqrstuvwxyz234567") == strlen(h) && !item_equals(b, 1, h));
  free(h);
  pseudo_batch_free(b);
  pseudo_token_free(t);

  /* level 1 → level 2 (secondary) → reverse level 2 gives the level-1 pseudonym back */
  pseudo_project_config src_cfg = config(PSEUDO_METHOD_REVERSIBLE, PSEUDO_TREATMENT_SAME, PSEUDO_FORMAT_BASE64URL);
  r = request(PSEUDO_TOKEN_PSEUDONYMISE, "source-proj", src_cfg);
  t = issue(&r);
  pseudo_str orig[1] = {S("Example PID 9")};
  b = call(engine, PSEUDO_OPERATION_PSEUDONYMISE, t, orig, 1, PSEUDO_BATCH_STRICT, now_s, PSEUDO_OK);
  char *l1 = item_copy(b, 0);
  pseudo_batch_free(b);
  pseudo_token_free(t);
  pseudo_source_ref src = {"source-proj", ORG, PSEUDO_METHOD_REVERSIBLE, src_cfg.retention_end,
                           PSEUDO_FORMAT_BASE64URL};
  r = request(PSEUDO_TOKEN_SECONDARY, "second-proj", src_cfg);
  r.source = &src;
  pseudo_token *sec = issue(&r);
  r.kind = PSEUDO_TOKEN_REVERSE_LEVEL2;
  pseudo_token *rev2 = issue(&r);
  pseudo_str in1[2] = {S(l1), S("not a level-1 pseudonym")};
  b = call(engine, PSEUDO_OPERATION_PSEUDONYMISE, sec, in1, 2, PSEUDO_BATCH_PER_ITEM, now_s, PSEUDO_OK);
  pseudo_item_status is = 0;
  EXPECT(pseudo_batch_item_status(b, 1, &is), PSEUDO_OK);
  CHECK(is == PSEUDO_ITEM_INVALID_PSEUDONYM);
  char *l2 = item_copy(b, 0);
  CHECK(l2 && strcmp(l1, l2) != 0);
  pseudo_batch_free(b);
  pseudo_str in2[1] = {S(l2)};
  b = call(engine, PSEUDO_OPERATION_REVERSE, rev2, in2, 1, PSEUDO_BATCH_STRICT, now_s, PSEUDO_OK);
  CHECK(item_equals(b, 0, l1));
  pseudo_batch_free(b);
  free(l1);
  free(l2);
  pseudo_token_free(sec);
  pseudo_token_free(rev2);
}

static pseudo_wire_response *wire(const char *path, const char *auth_hdr, const char *ct, const char *accept,
                                  const char *body, size_t body_len) {
  pseudo_wire_request req = {path, auth_hdr, ct, accept, (const uint8_t *)body, body_len};
  pseudo_wire_response *resp = NULL;
  EXPECT(pseudo_wire_handle(engine, &req, now_s, &resp), PSEUDO_OK);
  return resp;
}

static int body_contains(const pseudo_wire_response *r, const char *needle) {
  const uint8_t *b = NULL;
  size_t n = 0;
  if (pseudo_wire_response_body(r, &b, &n) != PSEUDO_OK) return 0;
  char *s = malloc(n + 1);
  memcpy(s, b, n);
  s[n] = 0;
  int found = strstr(s, needle) != NULL;
  free(s);
  return found;
}

static void test_wire(void) {
  pseudo_token_request r = request(PSEUDO_TOKEN_PSEUDONYMISE, "cohort-2026",
                                   config(PSEUDO_METHOD_REVERSIBLE, PSEUDO_TREATMENT_SAME, PSEUDO_FORMAT_BASE64URL));
  pseudo_token *t = issue(&r);
  char authz[4096];
  snprintf(authz, sizeof authz, "Bearer %s", text_of(t));
  const char *json = "{\"data\": [\"Example PID 1\", \"Example PID 2\"]}";
  pseudo_wire_response *resp = wire("/api/request-psn", authz, "application/json", NULL, json, strlen(json));
  CHECK(pseudo_wire_response_status(resp) == 200);
  CHECK(strcmp(pseudo_wire_response_content_type(resp), "application/json") == 0);
  CHECK(body_contains(resp, "{\"data\":[\"") && !body_contains(resp, "Example"));
  const uint8_t *body = NULL;
  size_t n = 0;
  EXPECT(pseudo_wire_response_body(NULL, &body, &n), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_wire_response_body(resp, NULL, &n), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_wire_response_body(resp, &body, NULL), PSEUDO_NULL_ARGUMENT);
  pseudo_wire_response_free(resp);

  resp = wire("/api/request-psn", authz, "text/csv", "text/csv", "a,b\r\nc,d\r\n", 10);
  CHECK(pseudo_wire_response_status(resp) == 200);
  CHECK(strcmp(pseudo_wire_response_content_type(resp), "text/csv") == 0 && body_contains(resp, ","));
  pseudo_wire_response_free(resp);

  resp = wire("/api/request-psn", NULL, "application/json", NULL, json, strlen(json));
  CHECK(pseudo_wire_response_status(resp) == 401 && body_contains(resp, "\"error\""));
  pseudo_wire_response_free(resp);
  resp = wire("/api/request-psn-rev", authz, "application/json", NULL, json, strlen(json));
  CHECK(pseudo_wire_response_status(resp) == 403);
  pseudo_wire_response_free(resp);
  resp = wire("/elsewhere", authz, "application/json", NULL, json, strlen(json));
  CHECK(pseudo_wire_response_status(resp) == 404);
  pseudo_wire_response_free(resp);
  resp = wire("/api/request-psn", authz, NULL, NULL, json, strlen(json));
  CHECK(pseudo_wire_response_status(resp) == 415);
  pseudo_wire_response_free(resp);
  resp = wire("/api/request-psn", authz, "application/json", NULL, "{\"data\":[\"\xff\"]}", 13);
  CHECK(pseudo_wire_response_status(resp) == 400);
  pseudo_wire_response_free(resp);
  resp = wire("/api/request-psn", authz, "application/json", NULL, NULL, 0);
  CHECK(pseudo_wire_response_status(resp) == 400);
  pseudo_wire_response_free(resp);

  pseudo_wire_request req = {"/api/request-psn", authz, "application/json", NULL, (const uint8_t *)json, strlen(json)};
  pseudo_wire_response *none = NULL;
  EXPECT(pseudo_wire_handle(NULL, &req, now_s, &none), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_wire_handle(engine, NULL, now_s, &none), PSEUDO_NULL_ARGUMENT);
  EXPECT(pseudo_wire_handle(engine, &req, now_s, NULL), PSEUDO_NULL_ARGUMENT);
  req.path = NULL;
  EXPECT(pseudo_wire_handle(engine, &req, now_s, &none), PSEUDO_NULL_ARGUMENT);
  req.path = "/api/request-psn";
  req.body = NULL;
  EXPECT(pseudo_wire_handle(engine, &req, now_s, &none), PSEUDO_NULL_ARGUMENT);
  req.body = (const uint8_t *)json;
  req.accept = "\xff";
  EXPECT(pseudo_wire_handle(engine, &req, now_s, &none), PSEUDO_INVALID_UTF8);
  CHECK(none == NULL);
  CHECK(pseudo_wire_response_status(NULL) == 0 && pseudo_wire_response_content_type(NULL) == NULL);
  pseudo_wire_response_free(NULL);
  pseudo_token_free(t);
}

/* One engine shared by several threads: every thread gets the same (deterministic) pseudonyms. */
struct thread_arg {
  const char *token;
  char result[128];
  pseudo_status status;
};

static void *thread_main(void *p) {
  struct thread_arg *a = p;
  pseudo_str vals[2] = {S("shared 1"), S("shared 2")};
  a->result[0] = 0;
  for (int round = 0; round < 20; round++) {
    pseudo_batch *b = NULL;
    a->status = pseudo_engine_call(engine, PSEUDO_OPERATION_PSEUDONYMISE, a->token, vals, 2, PSEUDO_BATCH_STRICT,
                                   now_s, &b);
    if (a->status != PSEUDO_OK) return NULL;
    const char *ptr = NULL;
    size_t n = 0;
    if (pseudo_batch_get(b, 1, &ptr, &n) == PSEUDO_OK && n < sizeof a->result) {
      memcpy(a->result, ptr, n);
      a->result[n] = 0;
    }
    pseudo_batch_free(b);
  }
  return NULL;
}

static void test_threads(void) {
  pseudo_token_request r = request(PSEUDO_TOKEN_PSEUDONYMISE, "threads",
                                   config(PSEUDO_METHOD_REVERSIBLE, PSEUDO_TREATMENT_SAME, PSEUDO_FORMAT_BASE64URL));
  pseudo_token *t = issue(&r);
  pthread_t th[4];
  struct thread_arg args[4];
  for (int i = 0; i < 4; i++) {
    args[i].token = text_of(t);
    CHECK(pthread_create(&th[i], NULL, thread_main, &args[i]) == 0);
  }
  for (int i = 0; i < 4; i++) CHECK(pthread_join(th[i], NULL) == 0);
  for (int i = 0; i < 4; i++) {
    CHECK(args[i].status == PSEUDO_OK && args[i].result[0] != 0);
    CHECK(strcmp(args[i].result, args[0].result) == 0);
  }
  pseudo_token_free(t);
}

static int detail_is(const char *want) {
  char d[64];
  size_t n = 0;
  if (pseudo_last_error_detail(d, sizeof d, &n) != PSEUDO_OK) return 0;
  return strcmp(d, want) == 0;
}

/* Key versions: a rotation changes no `same` pseudonym of a project bound to version 1; a
   version-2 token makes version-2 pseudonyms; rewrap moves version-1 pseudonyms to version 2
   (equal to fresh ones, reversing to the originals); a retired version is refused. */
static void test_key_versions(void) {
  pseudo_engine *e = make_engine(ring, vk, ISS, 0);
  pseudo_str vals[2] = {S("Example PID 1"), S("Example PID 2")};
  pseudo_project_config cfg = config(PSEUDO_METHOD_REVERSIBLE, PSEUDO_TREATMENT_SAME, PSEUDO_FORMAT_BASE64URL);
  pseudo_token_request r = request(PSEUDO_TOKEN_PSEUDONYMISE, "P-KV", cfg);
  pseudo_token *psn1 = issue(&r); /* the authority's version: 1 */
  pseudo_batch *before = call(e, PSEUDO_OPERATION_PSEUDONYMISE, psn1, vals, 2, PSEUDO_BATCH_STRICT, now_s, PSEUDO_OK);
  char *old0 = item_copy(before, 0), *old1 = item_copy(before, 1);

  pseudo_master_key *mk2 = NULL;
  EXPECT(pseudo_master_key_generate(2, now_s, &mk2), PSEUDO_OK);
  EXPECT(pseudo_engine_add_key_version(e, mk2, true), PSEUDO_OK);
  EXPECT(pseudo_engine_add_key_version(e, mk2, false), PSEUDO_INVALID_INPUT); /* held already */
  EXPECT(pseudo_engine_add_key_version(NULL, mk2, false), PSEUDO_NULL_ARGUMENT);
  uint16_t held[4] = {0}, primary = 0;
  size_t n = 0;
  EXPECT(pseudo_engine_key_versions(e, held, 1, &n), PSEUDO_BUFFER_TOO_SMALL);
  CHECK(n == 2);
  EXPECT(pseudo_engine_key_versions(e, held, 4, &n), PSEUDO_OK);
  CHECK(n == 2 && held[0] == 1 && held[1] == 2);
  EXPECT(pseudo_engine_primary_key_version(e, &primary), PSEUDO_OK);
  CHECK(primary == 2);

  /* The same token, after the rotation: identical pseudonyms. */
  pseudo_batch *after = call(e, PSEUDO_OPERATION_PSEUDONYMISE, psn1, vals, 2, PSEUDO_BATCH_STRICT, now_s, PSEUDO_OK);
  CHECK(item_equals(after, 0, old0) && item_equals(after, 1, old1));
  /* A project bound to version 2 (an authority configured with it, or a token naming it). */
  pseudo_authority *auth2 = NULL;
  EXPECT(pseudo_authority_new_with_key_version(sk, ISS, AUD, 0, &auth2), PSEUDO_INVALID_INPUT);
  EXPECT(pseudo_authority_new_with_key_version(sk, ISS, AUD, 2, &auth2), PSEUDO_OK);
  pseudo_token *psn2 = NULL, *rev2 = NULL, *psn2b = NULL;
  EXPECT(pseudo_authority_issue(auth2, &r, now_s, &psn2), PSEUDO_OK);
  EXPECT(pseudo_authority_issue_for_version(auth, &r, 2, 0, now_s, &psn2b), PSEUDO_OK);
  pseudo_batch *fresh = call(e, PSEUDO_OPERATION_PSEUDONYMISE, psn2, vals, 2, PSEUDO_BATCH_STRICT, now_s, PSEUDO_OK);
  pseudo_batch *fresh_b = call(e, PSEUDO_OPERATION_PSEUDONYMISE, psn2b, vals, 2, PSEUDO_BATCH_STRICT, now_s, PSEUDO_OK);
  char *new0 = item_copy(fresh, 0), *new1 = item_copy(fresh, 1);
  CHECK(strcmp(new0, old0) != 0);
  CHECK(item_equals(fresh_b, 0, new0) && item_equals(fresh_b, 1, new1));

  /* Rewrap with a version-2 reverse token of the project. */
  pseudo_token_request rr = request(PSEUDO_TOKEN_REVERSE_LEVEL1, "P-KV", cfg);
  EXPECT(pseudo_authority_issue(auth2, &rr, now_s, &rev2), PSEUDO_OK);
  pseudo_str olds[2] = {S(old0), S(old1)};
  pseudo_batch *rw = call(e, PSEUDO_OPERATION_REWRAP, rev2, olds, 2, PSEUDO_BATCH_STRICT, now_s, PSEUDO_OK);
  CHECK(item_equals(rw, 0, new0) && item_equals(rw, 1, new1));
  pseudo_str news[2] = {S(new0), S(new1)};
  pseudo_batch *back = call(e, PSEUDO_OPERATION_REVERSE, rev2, news, 2, PSEUDO_BATCH_STRICT, now_s, PSEUDO_OK);
  CHECK(item_equals(back, 0, "Example PID 1") && item_equals(back, 1, "Example PID 2"));
  /* Rewrap takes only reverse tokens. */
  call(e, PSEUDO_OPERATION_REWRAP, psn2, olds, 2, PSEUDO_BATCH_STRICT, now_s, PSEUDO_WRONG_OPERATION);

  /* Retire version 1: its tokens are refused with a clear detail, its pseudonyms no longer read. */
  EXPECT(pseudo_engine_retire_key_version(e, 2), PSEUDO_INVALID_INPUT); /* the primary */
  EXPECT(pseudo_engine_retire_key_version(e, 1), PSEUDO_OK);
  EXPECT(pseudo_engine_retire_key_version(e, 1), PSEUDO_INVALID_KEY);
  call(e, PSEUDO_OPERATION_PSEUDONYMISE, psn1, vals, 2, PSEUDO_BATCH_STRICT, now_s, PSEUDO_INVALID_CLAIMS);
  CHECK(detail_is("unknown_key_version"));
  call(e, PSEUDO_OPERATION_REVERSE, rev2, olds, 2, PSEUDO_BATCH_STRICT, now_s, PSEUDO_BATCH_FAILED);

  /* Lookup (not-reversible project, moved from version 2 to 3): old records still match. */
  pseudo_master_key *mk3 = NULL;
  EXPECT(pseudo_master_key_generate(3, now_s, &mk3), PSEUDO_OK);
  EXPECT(pseudo_engine_add_key_version(e, mk3, true), PSEUDO_OK);
  pseudo_project_config mac = config(PSEUDO_METHOD_NOT_REVERSIBLE, PSEUDO_TREATMENT_SAME, PSEUDO_FORMAT_HEX);
  pseudo_token_request mr = request(PSEUDO_TOKEN_PSEUDONYMISE, "P-MAC", mac);
  pseudo_token *mac2 = NULL, *mac3 = NULL;
  EXPECT(pseudo_authority_issue(auth2, &mr, now_s, &mac2), PSEUDO_OK);
  EXPECT(pseudo_authority_issue_for_version(auth2, &mr, 3, 0, now_s, &mac3), PSEUDO_OK);
  pseudo_batch *old_mac = call(e, PSEUDO_OPERATION_PSEUDONYMISE, mac2, vals, 2, PSEUDO_BATCH_STRICT, now_s, PSEUDO_OK);
  char *m0 = item_copy(old_mac, 0);
  pseudo_batch *look = NULL, *own = NULL;
  EXPECT(pseudo_engine_lookup(e, text_of(mac3), vals, 2, 2, PSEUDO_BATCH_STRICT, now_s, &look), PSEUDO_OK);
  CHECK(look != NULL && item_equals(look, 0, m0));
  EXPECT(pseudo_engine_lookup(e, text_of(mac3), vals, 2, 0, PSEUDO_BATCH_STRICT, now_s, &own), PSEUDO_OK);
  CHECK(own != NULL && !item_equals(own, 0, m0));
  pseudo_batch *none = NULL;
  EXPECT(pseudo_engine_lookup(e, text_of(mac3), vals, 2, 9, PSEUDO_BATCH_STRICT, now_s, &none), PSEUDO_INVALID_CLAIMS);
  CHECK(none == NULL && detail_is("unknown_key_version"));
  pseudo_batch_free(old_mac);
  pseudo_batch_free(look);
  pseudo_batch_free(own);
  free(m0);
  pseudo_token_free(mac2);
  pseudo_token_free(mac3);
  pseudo_master_key_free(mk3);

  pseudo_batch *bs[] = {before, after, fresh, fresh_b, rw, back};
  for (size_t i = 0; i < sizeof bs / sizeof bs[0]; i++) pseudo_batch_free(bs[i]);
  free(old0);
  free(old1);
  free(new0);
  free(new1);
  pseudo_token_free(psn1);
  pseudo_token_free(psn2);
  pseudo_token_free(psn2b);
  pseudo_token_free(rev2);
  pseudo_authority_free(auth2);
  pseudo_master_key_free(mk2);
  pseudo_engine_free(e);
}

int main(void) {
  now_s = (int64_t)time(NULL);
  test_version_and_messages();
  test_master_key_and_keyring();
  test_signing_and_verifying_keys();
  test_fixture_and_engine_new();
  test_issue();
  test_batches();
  test_formats_and_secondary();
  test_wire();
  test_threads();
  test_key_versions();
  pseudo_engine_free(engine);
  pseudo_keyring_free(ring);
  pseudo_authority_free(auth);
  pseudo_verifying_key_free(vk);
  pseudo_signing_key_free(sk);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
