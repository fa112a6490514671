// pseudo-etl: pseudonymise (or reverse) one named column of a CSV file through libpseudo.
//
//   pseudo-etl pseudonymise|reverse --keyring KEYRING_FILE --verifying-key PUBLIC_PEM
//              --issuer ISS --audience AUD --token-file TOKEN_FILE --column NAME [--batch N] IN.csv OUT.csv
//   pseudo-etl demo     IN.csv COLUMN OUTDIR   (makes its own keys and tokens, pseudonymises, reverses, compares)
//   pseudo-etl selftest IN.csv COLUMN OUTDIR   (the same with batches of 2 rows, to cross batch boundaries)
//
// Both end with the token lifecycle through the registry (a SQLite file in OUTDIR): create a project,
// request, approve, issue, use, see last used, revoke, see the engine refuse, restore, delete.
//
// Values travel to the library in batches: one pseudo_engine_call per batch, whatever its size.
#include "pseudo.h"

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
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
using Engine = Owned<pseudo_engine, pseudo_engine_free>;
using Batch = Owned<pseudo_batch, pseudo_batch_free>;

// Throws with the library's message when a call fails.
void ok(pseudo_status s, const char *what) {
  if (s == PSEUDO_OK) return;
  char msg[512];
  size_t n = 0;
  if (pseudo_last_error_message(msg, sizeof msg, &n) != PSEUDO_OK) msg[0] = '\0';
  throw std::runtime_error(std::string(what) + " failed (status " + std::to_string(static_cast<unsigned>(s)) +
                           "): " + msg);
}

using Row = std::vector<std::string>;

// RFC 4180: quoted fields, doubled quotes, CRLF or LF, line breaks inside quotes.
std::vector<Row> read_csv(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  std::vector<Row> rows;
  Row row;
  std::string field;
  bool quoted = false, field_started = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"' && field.empty()) {
      quoted = field_started = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      field_started = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      field_started = false;
    } else {
      field += c;
      field_started = true;
    }
  }
  if (quoted) throw std::runtime_error(path + ": a quoted field is never closed");
  if (field_started || !field.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

void write_csv(const std::string &path, const std::vector<Row> &rows) {
  std::ofstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot write " + path);
  for (const auto &row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i) f << ',';
      const std::string &v = row[i];
      if (v.find_first_of(",\"\r\n") == std::string::npos) {
        f << v;
      } else {
        f << '"';
        for (char c : v) f << (c == '"' ? "\"\"" : std::string(1, c));
        f << '"';
      }
    }
    f << "\r\n";
  }
  if (!f) throw std::runtime_error("writing " + path + " failed");
}

// Replaces `column` of every data row by the engine's result, `batch_size` rows per call.
size_t transform_column(const pseudo_engine *engine, pseudo_operation op, const std::string &token,
                        std::vector<Row> &rows, const std::string &column, size_t batch_size) {
  if (rows.empty()) throw std::runtime_error("the CSV file has no header row");
  size_t col = rows[0].size();
  for (size_t i = 0; i < rows[0].size(); ++i)
    if (rows[0][i] == column) col = i;
  if (col == rows[0].size()) throw std::runtime_error("no column named \"" + column + "\"");
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  size_t calls = 0;
  std::vector<pseudo_str> values;
  for (size_t start = 1; start < rows.size(); start += batch_size) {
    const size_t end = std::min(rows.size(), start + batch_size);
    values.clear();
    for (size_t r = start; r < end; ++r) {
      if (rows[r].size() <= col) throw std::runtime_error("row " + std::to_string(r + 1) + " is too short");
      values.push_back({rows[r][col].data(), rows[r][col].size()});
    }
    pseudo_batch *raw = nullptr;
    ok(pseudo_engine_call(engine, op, token.c_str(), values.data(), values.size(), PSEUDO_BATCH_STRICT, now, &raw),
       "pseudo_engine_call");
    Batch out(raw);
    ++calls;
    for (size_t r = start; r < end; ++r) {
      const char *p = nullptr;
      size_t n = 0;
      ok(pseudo_batch_get(out.get(), r - start, &p, &n), "pseudo_batch_get");
      rows[r][col].assign(p, n);
    }
  }
  return calls;
}

std::string read_file(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

int run_file_mode(pseudo_operation op, int argc, char **argv) {
  std::string keyring_file, vk_file, issuer, audience, token_file, column;
  size_t batch = 10000;
  std::vector<std::string> positional;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--keyring") keyring_file = next();
    else if (a == "--verifying-key") vk_file = next();
    else if (a == "--issuer") issuer = next();
    else if (a == "--audience") audience = next();
    else if (a == "--token-file") token_file = next();
    else if (a == "--column") column = next();
    else if (a == "--batch") batch = std::stoul(next());
    else positional.push_back(a);
  }
  if (positional.size() != 2 || keyring_file.empty() || vk_file.empty() || issuer.empty() || audience.empty() ||
      token_file.empty() || column.empty() || batch == 0)
    throw std::runtime_error("missing arguments (see the usage at the top of etl.cpp)");
  const std::string keyring_bytes = read_file(keyring_file);
  pseudo_keyring *ring_raw = nullptr;
  ok(pseudo_keyring_from_bytes(reinterpret_cast<const uint8_t *>(keyring_bytes.data()), keyring_bytes.size(),
                               &ring_raw),
     "reading the keyring");
  Owned<pseudo_keyring, pseudo_keyring_free> ring(ring_raw);
  pseudo_verifying_key *vk_raw = nullptr;
  ok(pseudo_verifying_key_from_pem(read_file(vk_file).c_str(), &vk_raw), "reading the verifying key");
  Owned<pseudo_verifying_key, pseudo_verifying_key_free> vk(vk_raw);
  pseudo_engine_options opts;
  ok(pseudo_engine_options_init(&opts), "pseudo_engine_options_init");
  opts.issuer = issuer.c_str();
  opts.audience = audience.c_str();
  const pseudo_verifying_key *keys[] = {vk.get()};
  pseudo_engine *engine_raw = nullptr;
  ok(pseudo_engine_new(ring.get(), keys, 1, &opts, &engine_raw), "pseudo_engine_new");
  Engine engine(engine_raw);
  auto rows = read_csv(positional[0]);
  size_t calls = transform_column(engine.get(), op, read_file(token_file), rows, column, batch);
  write_csv(positional[1], rows);
  std::cout << rows.size() - 1 << " rows, " << calls << " batch call(s) -> " << positional[1] << "\n";
  return 0;
}

// The detail code of the last failure ("request_not_approved", ...), empty when none.
std::string last_detail() {
  char d[64];
  size_t n = 0;
  return pseudo_last_error_detail(d, sizeof d, &n) == PSEUDO_OK ? std::string(d, n) : std::string();
}

// A call that must be refused: prints the status's description and the detail code.
void refused(pseudo_status s, const char *what) {
  if (s == PSEUDO_OK) throw std::runtime_error(std::string(what) + " was not refused");
  char msg[256];
  size_t n = 0;
  if (pseudo_status_message(s, msg, sizeof msg, &n) != PSEUDO_OK) msg[0] = '\0';
  const std::string d = last_detail();
  std::cout << "  " << what << ": refused (" << static_cast<unsigned>(s) << ", " << msg << (d.empty() ? "" : "; ") << d
            << ")\n";
}

void show_token(const pseudo_registry *reg, const std::string &jti, const char *label) {
  pseudo_token_list *raw = nullptr;
  ok(pseudo_registry_token(reg, jti.c_str(), &raw), "pseudo_registry_token");
  Owned<pseudo_token_list, pseudo_token_list_free> list(raw);
  pseudo_token_record r;
  ok(pseudo_token_list_get(list.get(), 0, &r), "pseudo_token_list_get");
  std::cout << "  " << label << ": '" << r.name << "' of " << r.holder << ", "
            << (r.status == PSEUDO_RECORD_ACTIVE ? "active" : "revoked") << ", "
            << (r.used ? "last used at " + std::to_string(r.last_used) : std::string("not used")) << "\n";
}

pseudo_status pseudonymise(const pseudo_engine *engine, const char *token, int64_t at, std::string *first) {
  pseudo_str values[] = {{"Example PID 1", 13}, {"Example PID 2", 13}};
  pseudo_batch *raw = nullptr;
  pseudo_status s =
      pseudo_engine_call(engine, PSEUDO_OPERATION_PSEUDONYMISE, token, values, 2, PSEUDO_BATCH_STRICT, at, &raw);
  Batch batch(raw);
  const char *p = nullptr;
  size_t n = 0;
  if (s == PSEUDO_OK && first && pseudo_batch_get(batch.get(), 0, &p, &n) == PSEUDO_OK) first->assign(p, n);
  return s;
}

// The token lifecycle of the registry (issue 5), through the C API only.
void run_lifecycle(const pseudo_authority *auth, const pseudo_keyring *ring, const pseudo_verifying_key *vk,
                   const std::string &outdir, int64_t now) {
  const std::string db = outdir + "/registry.db";
  for (const char *suffix : {"", "-wal", "-shm"}) std::remove((db + suffix).c_str());
  pseudo_registry *reg_raw = nullptr;
  ok(pseudo_registry_open(db.c_str(), 0, &reg_raw), "pseudo_registry_open");
  Owned<pseudo_registry, pseudo_registry_free> reg(reg_raw);
  std::cout << "\ntoken lifecycle (registry " << db << ")\n";
  const char *hospital = "0b7e3c1a-5d2f-4c8e-9a6b-1f2e3d4c5b6a", *university = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
  const pseudo_principal admin{"admin", hospital, PSEUDO_ROLE_ADMIN};
  const pseudo_principal owner{"olivia", hospital, PSEUDO_ROLE_USER};
  const pseudo_principal researcher{"rahul", university, PSEUDO_ROLE_USER};

  pseudo_new_project project{};
  project.id = "cohort-2026";
  project.name = "Cohort 2026";
  project.method = PSEUDO_METHOD_REVERSIBLE;
  project.treatment = PSEUDO_TREATMENT_SAME;
  project.format = PSEUDO_FORMAT_BASE64URL;
  project.retention_years = 5;
  pseudo_project_config config;
  ok(pseudo_registry_create_project(reg.get(), &owner, &project, now, &config), "pseudo_registry_create_project");
  std::cout << "  project cohort-2026 created; retention ends at " << config.retention_end << " (fixed for ever)\n";
  ok(pseudo_registry_add_collaborator(reg.get(), &owner, "cohort-2026", university, false),
     "pseudo_registry_add_collaborator");
  pseudo_request *request_raw = nullptr;
  ok(pseudo_registry_submit_request(reg.get(), &researcher, "cohort-2026", "admissions 2020-2025", now, &request_raw),
     "pseudo_registry_submit_request");
  Owned<pseudo_request, pseudo_request_free> request(request_raw);
  pseudo_request_record info;
  ok(pseudo_request_get(request.get(), &info), "pseudo_request_get");
  const std::string request_id = info.id;
  std::cout << "  request " << request_id << " submitted by " << info.requester << ": pending\n";

  pseudo_issue_request issue{};
  issue.request = request_id.c_str();
  issue.kind = PSEUDO_TOKEN_PSEUDONYMISE;
  issue.name = "etl";
  issue.lifetime_seconds = 3600;
  pseudo_token *token_raw = nullptr;
  refused(pseudo_registry_issue_token(reg.get(), auth, &researcher, &issue, now, &token_raw), "issue before approval");
  ok(pseudo_registry_decide_request(reg.get(), &admin, request_id.c_str(), true, "ethics approval attached", now,
                                    nullptr),
     "pseudo_registry_decide_request");
  std::cout << "  request approved by admin\n";
  ok(pseudo_registry_issue_token(reg.get(), auth, &researcher, &issue, now, &token_raw), "pseudo_registry_issue_token");
  Owned<pseudo_token, pseudo_token_free> token(token_raw);
  const char *jti_raw = nullptr, *text = nullptr;
  size_t n = 0;
  ok(pseudo_token_jti(token.get(), &jti_raw), "pseudo_token_jti");
  ok(pseudo_token_text(token.get(), &text, &n), "pseudo_token_text");
  const std::string jti = jti_raw;
  std::cout << "  token " << jti << " issued (text shown once: " << std::string(text, 16) << "...)\n";
  show_token(reg.get(), jti, "record");
  pseudo_issue_request rev = issue;
  rev.kind = PSEUDO_TOKEN_REVERSE_LEVEL1;
  pseudo_token *rev_raw = nullptr;
  refused(pseudo_registry_issue_token(reg.get(), auth, &researcher, &rev, now, &rev_raw),
          "a reverse token without can_reverse");

  pseudo_engine_options opts;
  ok(pseudo_engine_options_init(&opts), "pseudo_engine_options_init");
  opts.issuer = "https://portal.example";
  opts.audience = "pseudo-engine";
  const pseudo_verifying_key *keys[] = {vk};
  pseudo_engine *engine_raw = nullptr;
  ok(pseudo_engine_new_with_registry(ring, keys, 1, &opts, reg.get(), &engine_raw), "pseudo_engine_new_with_registry");
  Engine engine(engine_raw);
  std::string first;
  ok(pseudonymise(engine.get(), text, now, &first), "pseudonymising with the registered token");
  std::cout << "  used: Example PID 1 -> " << first << "\n";
  show_token(reg.get(), jti, "after use");
  ok(pseudo_registry_revoke_token(reg.get(), &researcher, jti.c_str()), "pseudo_registry_revoke_token");
  show_token(reg.get(), jti, "revoked");
  refused(pseudonymise(engine.get(), text, now + 1, nullptr), "the engine, with the revoked token");
  ok(pseudo_registry_restore_token(reg.get(), &researcher, jti.c_str(), now + 2), "pseudo_registry_restore_token");
  ok(pseudonymise(engine.get(), text, now + 3, nullptr), "pseudonymising after restore");
  show_token(reg.get(), jti, "restored, used again");
  refused(pseudo_registry_delete_token(reg.get(), &researcher, jti.c_str()), "delete while active");
  ok(pseudo_registry_revoke_token(reg.get(), &researcher, jti.c_str()), "pseudo_registry_revoke_token");
  ok(pseudo_registry_delete_token(reg.get(), &researcher, jti.c_str()), "pseudo_registry_delete_token");
  pseudo_token_list *all_raw = nullptr;
  ok(pseudo_registry_tokens(reg.get(), &all_raw), "pseudo_registry_tokens");
  Owned<pseudo_token_list, pseudo_token_list_free> all(all_raw);
  std::cout << "  deleted; token records left: " << pseudo_token_list_len(all.get()) << "\n";
  refused(pseudonymise(engine.get(), text, now + 4, nullptr), "the engine, with the deleted token");

  pseudo_new_access_token *pat_raw = nullptr;
  ok(pseudo_registry_create_access_token(reg.get(), &researcher, PSEUDO_ACCESS_PERSONAL, nullptr, "laptop",
                                         30 * 86400, now, &pat_raw),
     "pseudo_registry_create_access_token");
  Owned<pseudo_new_access_token, pseudo_new_access_token_free> pat(pat_raw);
  const char *secret = nullptr;
  ok(pseudo_new_access_token_secret(pat.get(), &secret, &n), "pseudo_new_access_token_secret");
  pseudo_access_token_list *who_raw = nullptr;
  ok(pseudo_registry_authenticate(reg.get(), secret, now, &who_raw), "pseudo_registry_authenticate");
  Owned<pseudo_access_token_list, pseudo_access_token_list_free> who(who_raw);
  pseudo_access_token_record rec;
  ok(pseudo_access_token_list_get(who.get(), 0, &rec), "pseudo_access_token_list_get");
  std::cout << "  personal access token " << std::string(secret, 14) << "... (shown once) authenticates as "
            << rec.principal << "\n";

  pseudo_audit_list *audit_raw = nullptr;
  ok(pseudo_registry_audit_events(reg.get(), 10, &audit_raw), "pseudo_registry_audit_events");
  Owned<pseudo_audit_list, pseudo_audit_list_free> audit(audit_raw);
  std::cout << "  audit log (never values):\n";
  for (size_t i = 0; i < pseudo_audit_list_len(audit.get()); ++i) {
    pseudo_audit_event e;
    ok(pseudo_audit_list_get(audit.get(), i, &e), "pseudo_audit_list_get");
    const char *op = pseudo_operation_name(e.operation);
    std::cout << "    " << e.time << " " << (op ? op : "?") << " by " << (e.subject ? e.subject : "-")
              << " jti=" << (e.jti ? e.jti : "-") << " items=" << e.items
              << " outcome=" << (e.error_code ? e.error_code : "ok") << "\n";
  }
}

// The demo plays both roles: the authority issues the tokens, the engine uses them.
int run_demo(int argc, char **argv, size_t batch) {
  if (argc != 5) throw std::runtime_error("usage: pseudo-etl demo IN.csv COLUMN OUTDIR");
  const std::string in = argv[2], column = argv[3], outdir = argv[4];
  if (std::system(("mkdir -p '" + outdir + "'").c_str()) != 0) throw std::runtime_error("cannot create " + outdir);
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  pseudo_signing_key *sk_raw = nullptr;
  ok(pseudo_signing_key_generate(&sk_raw), "pseudo_signing_key_generate");
  Owned<pseudo_signing_key, pseudo_signing_key_free> sk(sk_raw);
  pseudo_verifying_key *vk_raw = nullptr;
  ok(pseudo_signing_key_verifying_key(sk.get(), &vk_raw), "pseudo_signing_key_verifying_key");
  Owned<pseudo_verifying_key, pseudo_verifying_key_free> vk(vk_raw);
  pseudo_authority *auth_raw = nullptr;
  ok(pseudo_authority_new(sk.get(), "https://portal.example", "pseudo-engine", &auth_raw), "pseudo_authority_new");
  Owned<pseudo_authority, pseudo_authority_free> auth(auth_raw);
  pseudo_keyring *ring_raw = nullptr;
  ok(pseudo_keyring_generate(1, now, &ring_raw), "pseudo_keyring_generate");
  Owned<pseudo_keyring, pseudo_keyring_free> ring(ring_raw);
  pseudo_engine_options opts;
  ok(pseudo_engine_options_init(&opts), "pseudo_engine_options_init");
  opts.issuer = "https://portal.example";
  opts.audience = "pseudo-engine";
  const pseudo_verifying_key *keys[] = {vk.get()};
  pseudo_engine *engine_raw = nullptr;
  ok(pseudo_engine_new(ring.get(), keys, 1, &opts, &engine_raw), "pseudo_engine_new");
  Engine engine(engine_raw);

  pseudo_token_request req{};
  req.kind = PSEUDO_TOKEN_PSEUDONYMISE;
  req.subject = "etl-service";
  req.organisation = "0b7e3c1a-5d2f-4c8e-9a6b-1f2e3d4c5b6a";
  req.project = "etl-demo";
  req.request = "req-etl-1";
  req.config = {PSEUDO_METHOD_REVERSIBLE, now + 365 * 86400, PSEUDO_TREATMENT_SAME, PSEUDO_FORMAT_BASE64URL};
  req.lifetime_seconds = 3600;
  pseudo_token *psn_raw = nullptr, *rev_raw = nullptr;
  ok(pseudo_authority_issue(auth.get(), &req, now, &psn_raw), "issuing the psn token");
  Owned<pseudo_token, pseudo_token_free> psn(psn_raw);
  req.kind = PSEUDO_TOKEN_REVERSE_LEVEL1;
  ok(pseudo_authority_issue(auth.get(), &req, now, &rev_raw), "issuing the rev token");
  Owned<pseudo_token, pseudo_token_free> rev(rev_raw);
  const char *psn_text = nullptr, *rev_text = nullptr;
  size_t n = 0;
  ok(pseudo_token_text(psn.get(), &psn_text, &n), "pseudo_token_text");
  ok(pseudo_token_text(rev.get(), &rev_text, &n), "pseudo_token_text");

  // Throwaway demo material, so the file mode can be tried next (see the usage above).
  auto write_text = [&](const std::string &name, const std::string &text) {
    std::ofstream f(outdir + "/" + name, std::ios::binary);
    f << text << "\n";
    if (!f) throw std::runtime_error("cannot write " + outdir + "/" + name);
  };
  size_t need = 0;
  if (pseudo_keyring_export(ring.get(), PSEUDO_KEY_ENCODING_HEX, nullptr, 0, &need) != PSEUDO_BUFFER_TOO_SMALL)
    throw std::runtime_error("pseudo_keyring_export size query failed");
  std::string hex(need, '\0');
  ok(pseudo_keyring_export(ring.get(), PSEUDO_KEY_ENCODING_HEX, reinterpret_cast<uint8_t *>(&hex[0]), need, &n),
     "pseudo_keyring_export");
  write_text("keyring.hex", hex);
  char pem[512];
  ok(pseudo_verifying_key_to_pem(vk.get(), pem, sizeof pem, &n), "pseudo_verifying_key_to_pem");
  write_text("verifying-key.pem", pem);
  write_text("psn.token", psn_text);
  write_text("rev.token", rev_text);

  const auto original = read_csv(in);
  auto rows = original;
  size_t calls = transform_column(engine.get(), PSEUDO_OPERATION_PSEUDONYMISE, psn_text, rows, column, batch);
  write_csv(outdir + "/pseudonymised.csv", rows);
  std::cout << "pseudonymised column \"" << column << "\" of " << rows.size() - 1 << " rows in " << calls
            << " batch call(s) -> " << outdir << "/pseudonymised.csv\n";
  for (size_t r = 0; r < std::min<size_t>(rows.size(), 4); ++r) {
    std::cout << "  ";
    for (size_t i = 0; i < rows[r].size(); ++i) std::cout << (i ? " | " : "") << rows[r][i];
    std::cout << "\n";
  }
  const auto pseudonymised = read_csv(outdir + "/pseudonymised.csv");
  rows = pseudonymised;
  calls = transform_column(engine.get(), PSEUDO_OPERATION_REVERSE, rev_text, rows, column, batch);
  write_csv(outdir + "/restored.csv", rows);
  std::cout << "reversed in " << calls << " batch call(s) -> " << outdir << "/restored.csv\n";
  if (rows != original) throw std::runtime_error("the restored file differs from the input");
  if (pseudonymised == original) throw std::runtime_error("nothing was pseudonymised");
  std::cout << "restored file equals the input: ok\n";
  run_lifecycle(auth.get(), ring.get(), vk.get(), outdir, now);
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "pseudonymise") return run_file_mode(PSEUDO_OPERATION_PSEUDONYMISE, argc, argv);
    if (mode == "reverse") return run_file_mode(PSEUDO_OPERATION_REVERSE, argc, argv);
    if (mode == "demo") return run_demo(argc, argv, 10000);
    if (mode == "selftest") return run_demo(argc, argv, 2);
    std::cerr << "usage: pseudo-etl pseudonymise|reverse|demo|selftest ... (see etl.cpp)\n";
    return 2;
  } catch (const std::exception &e) {
    std::cerr << "pseudo-etl: " << e.what() << "\n";
    return 1;
  }
}
