// pseudo-etl: pseudonymise (or reverse) one named column of a CSV file through libpseudo.
//
//   pseudo-etl pseudonymise|reverse --keyring KEYRING_FILE --verifying-key PUBLIC_PEM
//              --issuer ISS --audience AUD --token-file TOKEN_FILE --column NAME [--batch N] IN.csv OUT.csv
//   pseudo-etl demo     IN.csv COLUMN OUTDIR   (makes its own keys and tokens, pseudonymises, reverses, compares)
//   pseudo-etl selftest IN.csv COLUMN OUTDIR   (the same with batches of 2 rows, to cross batch boundaries)
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
