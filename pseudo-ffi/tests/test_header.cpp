// The header compiled as C++17 (-Wall -Wextra -Werror -pedantic) and used the way a C++ host
// would: RAII owners over the C handles, one batch call, a round trip.
#include "pseudo.h"

#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {
template <typename T, void (*F)(T *)>
struct Deleter {
  void operator()(T *p) const noexcept { F(p); }
};
template <typename T, void (*F)(T *)>
using Owned = std::unique_ptr<T, Deleter<T, F>>;

int passed = 0, failed = 0;
void check(bool ok, const char *what) {
  if (ok) {
    ++passed;
  } else {
    ++failed;
    std::fprintf(stderr, "FAIL: %s\n", what);
  }
}
#define CHECK(c) check((c), #c)

static_assert(PSEUDO_OK == 0, "stable status numbers");
static_assert(PSEUDO_MALFORMED_TOKEN == 100, "stable status numbers");
static_assert(sizeof(pseudo_status) == 4, "pseudo_status is 32 bits");
}  // namespace

int main() {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  CHECK(std::string(pseudo_version()) == PSEUDO_VERSION_STRING);

  pseudo_signing_key *sk_raw = nullptr;
  CHECK(pseudo_signing_key_generate(&sk_raw) == PSEUDO_OK);
  Owned<pseudo_signing_key, pseudo_signing_key_free> sk(sk_raw);
  pseudo_verifying_key *vk_raw = nullptr;
  CHECK(pseudo_signing_key_verifying_key(sk.get(), &vk_raw) == PSEUDO_OK);
  Owned<pseudo_verifying_key, pseudo_verifying_key_free> vk(vk_raw);
  pseudo_authority *auth_raw = nullptr;
  CHECK(pseudo_authority_new(sk.get(), "iss", "aud", &auth_raw) == PSEUDO_OK);
  Owned<pseudo_authority, pseudo_authority_free> auth(auth_raw);
  pseudo_keyring *ring_raw = nullptr;
  CHECK(pseudo_keyring_generate(1, now, &ring_raw) == PSEUDO_OK);
  Owned<pseudo_keyring, pseudo_keyring_free> ring(ring_raw);

  pseudo_engine_options opts;
  CHECK(pseudo_engine_options_init(&opts) == PSEUDO_OK);
  opts.issuer = "iss";
  opts.audience = "aud";
  const pseudo_verifying_key *keys[] = {vk.get()};
  pseudo_engine *engine_raw = nullptr;
  CHECK(pseudo_engine_new(ring.get(), keys, 1, &opts, &engine_raw) == PSEUDO_OK);
  Owned<pseudo_engine, pseudo_engine_free> engine(engine_raw);

  pseudo_token_request req{};
  req.kind = PSEUDO_TOKEN_PSEUDONYMISE;
  req.subject = "etl";
  req.organisation = "00000000-0000-0000-0000-000000000001";
  req.project = "cpp";
  req.request = "r1";
  req.config = {PSEUDO_METHOD_REVERSIBLE, now + 86400 * 30, PSEUDO_TREATMENT_SAME, PSEUDO_FORMAT_BASE64URL};
  req.lifetime_seconds = 600;
  pseudo_token *psn_raw = nullptr, *rev_raw = nullptr;
  CHECK(pseudo_authority_issue(auth.get(), &req, now, &psn_raw) == PSEUDO_OK);
  req.kind = PSEUDO_TOKEN_REVERSE_LEVEL1;
  CHECK(pseudo_authority_issue(auth.get(), &req, now, &rev_raw) == PSEUDO_OK);
  Owned<pseudo_token, pseudo_token_free> psn(psn_raw), rev(rev_raw);
  const char *psn_text = nullptr, *rev_text = nullptr;
  size_t len = 0;
  CHECK(pseudo_token_text(psn.get(), &psn_text, &len) == PSEUDO_OK);
  CHECK(pseudo_token_text(rev.get(), &rev_text, &len) == PSEUDO_OK);

  std::vector<std::string> values = {"alpha", "beta", "gamma"};
  std::vector<pseudo_str> in;
  for (const auto &v : values) in.push_back({v.data(), v.size()});
  pseudo_batch *out_raw = nullptr;
  CHECK(pseudo_engine_call(engine.get(), PSEUDO_OPERATION_PSEUDONYMISE, psn_text, in.data(), in.size(),
                           PSEUDO_BATCH_STRICT, now, &out_raw) == PSEUDO_OK);
  Owned<pseudo_batch, pseudo_batch_free> out(out_raw);
  std::vector<std::string> pseudonyms;
  for (size_t i = 0; i < pseudo_batch_len(out.get()); ++i) {
    const char *p = nullptr;
    size_t n = 0;
    CHECK(pseudo_batch_get(out.get(), i, &p, &n) == PSEUDO_OK);
    pseudonyms.emplace_back(std::string_view(p, n));
  }
  CHECK(pseudonyms.size() == 3);
  std::vector<pseudo_str> back_in;
  for (const auto &v : pseudonyms) back_in.push_back({v.data(), v.size()});
  pseudo_batch *back_raw = nullptr;
  CHECK(pseudo_engine_call(engine.get(), PSEUDO_OPERATION_REVERSE, rev_text, back_in.data(), back_in.size(),
                           PSEUDO_BATCH_STRICT, now, &back_raw) == PSEUDO_OK);
  Owned<pseudo_batch, pseudo_batch_free> back(back_raw);
  for (size_t i = 0; i < values.size(); ++i) {
    const char *p = nullptr;
    size_t n = 0;
    CHECK(pseudo_batch_get(back.get(), i, &p, &n) == PSEUDO_OK && std::string_view(p, n) == values[i]);
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
