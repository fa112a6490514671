#!/usr/bin/env python3
"""An independent implementation of docs/SPEC.md with pyca/cryptography.

It shares no code with pseudo: it reads the JWT payload of every case in
pseudo-core/tests/vectors/vectors.json (without verifying it: that is pseudo's job), rebuilds the
keys from the master key parts, and recomputes every output: level-1 and level-2 pseudonyms in
the deterministic modes, and the reversal of every reverse case (including the random-nonce
mode). Exit status 0 and "N passed, 0 failed" when every case matches.

Usage: python3 docs/reference/pseudo_ref.py [vectors.json]
"""
import base64
import hashlib
import hmac
import json
import struct
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

CHAIN_STEP_LABEL = b"pseudo-chain-step-v1"
KDF_LABEL = b"pseudo-kdf-v1"
MODES = {("rev", "same"): 1, ("rev", "different"): 2, ("nrev", "same"): 3, ("nrev", "different"): 4}


def lp(b: bytes) -> bytes:
    return struct.pack(">H", len(b)) + b


def b64url_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def encode(fmt: str, b: bytes) -> str:
    if fmt == "base64url":
        return base64.urlsafe_b64encode(b).decode().rstrip("=")
    if fmt == "hex":
        return b.hex()
    return base64.b32encode(b).decode().rstrip("=").lower()


def decode(fmt: str, s: str) -> bytes:
    if fmt == "base64url":
        return b64url_decode(s)
    if fmt == "hex":
        return bytes.fromhex(s)
    return base64.b32decode(s.upper() + "=" * (-len(s) % 8))


class Keys:
    def __init__(self, parts):
        self.static = bytes.fromhex(parts["static_secret_hex"])
        self.chain_day = parts["chain_day"]
        self.chain = bytes.fromhex(parts["chain_secret_hex"])

    def chain_secret(self, day: int) -> bytes:
        assert day >= self.chain_day, "retention ended: key erased"
        s = self.chain
        for _ in range(day - self.chain_day):
            s = hmac.new(s, CHAIN_STEP_LABEL, hashlib.sha256).digest()
        return s


def domain_l1(project: str) -> bytes:
    return lp(project.encode())


def domain_l2(src_org: str, src_project: str, project: str) -> bytes:
    org = bytes.fromhex(src_org.replace("-", ""))
    return lp(org) + lp(src_project.encode()) + lp(project.encode())


def derive(keys: Keys, purpose: bytes, level: int, domain: bytes, version: int, day):
    info = lp(KDF_LABEL) + lp(purpose) + lp(bytes([level])) + lp(domain) + lp(struct.pack(">H", version))
    info += lp(struct.pack(">q", day)) if day is not None else lp(b"")
    ikm = keys.static if day is None else keys.chain_secret(day)
    length = 64 if purpose == b"aes-256-siv" else 32
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(ikm)


def header(level: int, mode: int, version: int) -> bytes:
    return bytes([1, level, mode]) + struct.pack(">H", version)


def forward(keys, version, cfg, level, domain, value: bytes) -> str:
    mode = MODES[("rev" if cfg["rev"] else "nrev", cfg["trt"])]
    h = header(level, mode, version)
    day = cfg["ret"] // 86400
    if mode == 1:
        body = AESSIV(derive(keys, b"aes-256-siv", level, domain, version, day)).encrypt(value, [h + domain])
    elif mode == 3:
        body = hmac.new(derive(keys, b"hmac-sha256", level, domain, version, None), h + value, hashlib.sha256).digest()[:16]
    else:
        raise ValueError("random modes are not reproducible")
    return encode(cfg["fmt"], h + body)


def backward(keyset, cfg, level, domain, text: str) -> bytes:
    raw = decode(cfg["fmt"], text)
    ver, lvl, mode = raw[0], raw[1], raw[2]
    version = struct.unpack(">H", raw[3:5])[0]
    assert ver == 1 and lvl == level and mode in (1, 2)
    h = raw[:5]
    key = derive(keyset[version], b"aes-256-siv", level, domain, version, cfg["ret"] // 86400)
    if mode == 1:
        return AESSIV(key).decrypt(raw[5:], [h + domain])
    nonce = raw[5:21]
    return AESSIV(key).decrypt(raw[21:], [h + domain, nonce])


def main(path: str) -> int:
    doc = json.load(open(path, encoding="utf-8"))
    keyset = {m["version"]: Keys(m) for m in doc["master_keys"]}
    passed = failed = 0
    for case in doc["cases"] + doc.get("rewrap_cases", []):
        claims = json.loads(b64url_decode(case["token"].split(".")[1]))
        cfg, tt = claims["cfg"], claims["tt"]
        # The project's key version (kv) picks the keys of new pseudonyms, not the keyring's
        # primary; a version the engine does not hold refuses the whole token.
        kv = claims["kv"]
        assert kv in keyset and ("src" not in claims or claims["src"]["kv"] in keyset)
        got = []
        for value in case["inputs"]:
            if case["operation"] == "rewrap":  # read under any held version, write under kv
                lvl = claims["lvl"]
                if lvl == 1:
                    dom = domain_l1(claims["prj"])
                else:
                    dom = domain_l2(claims["src"]["org"], claims["src"]["prj"], claims["prj"])
                plain = backward(keyset, cfg, lvl, dom, value)
                got.append(forward(keyset[kv], kv, cfg, lvl, dom, plain))
            elif tt == "psn":
                got.append(forward(keyset[kv], kv, cfg, 1, domain_l1(claims["prj"]), value.encode()))
            elif tt == "sec":
                src = claims["src"]
                if src["rev"]:  # authenticate the input as the source's level-1 pseudonym
                    backward(keyset, {"fmt": src["fmt"], "ret": src["ret"]}, 1, domain_l1(src["prj"]), value)
                dom = domain_l2(src["org"], src["prj"], claims["prj"])
                got.append(forward(keyset[kv], kv, cfg, 2, dom, value.encode()))
            else:
                if claims["lvl"] == 1:
                    dom = domain_l1(claims["prj"])
                else:
                    dom = domain_l2(claims["src"]["org"], claims["src"]["prj"], claims["prj"])
                got.append(backward(keyset, cfg, claims["lvl"], dom, value).decode())
        if got == case["outputs"]:
            passed += 1
        else:
            failed += 1
            print(f"MISMATCH in {case['name']!r}: {got} != {case['outputs']}", file=sys.stderr)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "pseudo-core/tests/vectors/vectors.json"))
