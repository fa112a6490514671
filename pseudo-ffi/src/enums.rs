//! Every C enum of the API in one place: a `u32` type and its `PSEUDO_*` values (C enums are
//! not ABI-stable across compilers, so the header declares typedefs and constants). Values are
//! append-only: a released number never changes meaning.

/// Whether a project's pseudonyms can be reversed: a `PSEUDO_METHOD_*` value.
#[allow(non_camel_case_types)]
pub type pseudo_method = u32;
/// AES-SIV: reversible with a reverse token until retention ends.
pub const PSEUDO_METHOD_REVERSIBLE: pseudo_method = 0;
/// HMAC or random: never reversible.
pub const PSEUDO_METHOD_NOT_REVERSIBLE: pseudo_method = 1;

/// Whether one value always gets the same pseudonym: a `PSEUDO_TREATMENT_*` value.
#[allow(non_camel_case_types)]
pub type pseudo_treatment = u32;
/// One value always gets the same pseudonym in the project (joins work).
pub const PSEUDO_TREATMENT_SAME: pseudo_treatment = 0;
/// Every occurrence gets a fresh pseudonym.
pub const PSEUDO_TREATMENT_DIFFERENT: pseudo_treatment = 1;

/// How pseudonyms are written: a `PSEUDO_FORMAT_*` value.
#[allow(non_camel_case_types)]
pub type pseudo_output_format = u32;
/// RFC 4648 base64url, unpadded (the default).
pub const PSEUDO_FORMAT_BASE64URL: pseudo_output_format = 0;
/// Lower-case hexadecimal.
pub const PSEUDO_FORMAT_HEX: pseudo_output_format = 1;
/// RFC 4648 base32, lower case, unpadded.
pub const PSEUDO_FORMAT_BASE32: pseudo_output_format = 2;

/// Which token to issue: a `PSEUDO_TOKEN_*` value.
#[allow(non_camel_case_types)]
pub type pseudo_token_kind = u32;
/// Pseudonymisation (`psn`): original values → level-1 pseudonyms.
pub const PSEUDO_TOKEN_PSEUDONYMISE: pseudo_token_kind = 0;
/// Secondary (`sec`): the source's level-1 pseudonyms → level-2 pseudonyms. Needs `source`.
pub const PSEUDO_TOKEN_SECONDARY: pseudo_token_kind = 1;
/// Reverse (`rev`) of level-1 pseudonyms → original values.
pub const PSEUDO_TOKEN_REVERSE_LEVEL1: pseudo_token_kind = 2;
/// Reverse (`rev`) of level-2 pseudonyms → the source's level-1 pseudonyms. Needs `source`.
pub const PSEUDO_TOKEN_REVERSE_LEVEL2: pseudo_token_kind = 3;

/// An engine endpoint, or (in audit events) a registry event: a `PSEUDO_OPERATION_*` value.
/// Stable numbers, append-only.
#[allow(non_camel_case_types)]
pub type pseudo_operation = u32;
/// Pseudonymise (`/api/request-psn`): takes `psn` and `sec` tokens.
pub const PSEUDO_OPERATION_PSEUDONYMISE: pseudo_operation = 0;
/// Reverse (`/api/request-psn-rev`): takes `rev` tokens.
pub const PSEUDO_OPERATION_REVERSE: pseudo_operation = 1;
/// Rewrap: a reversible project's pseudonyms under an old key version in, the same values'
/// pseudonyms under the `rev` token's key version out (no original leaves the engine).
pub const PSEUDO_OPERATION_REWRAP: pseudo_operation = 2;
/// Lookup (audit events only): values pseudonymised under each key version a project used.
pub const PSEUDO_OPERATION_LOOKUP: pseudo_operation = 3;
/// Registry event (audit only): a project was moved to another key version.
pub const PSEUDO_OPERATION_REKEY: pseudo_operation = 4;
/// Registry event (audit only): a key version was retired.
pub const PSEUDO_OPERATION_RETIRE_KEY: pseudo_operation = 5;
/// Registry event (audit only): an operation token was issued.
pub const PSEUDO_OPERATION_ISSUE_TOKEN: pseudo_operation = 6;
/// Registry event (audit only): an operation token was revoked.
pub const PSEUDO_OPERATION_REVOKE_TOKEN: pseudo_operation = 7;
/// Registry event (audit only): a revoked operation token was restored.
pub const PSEUDO_OPERATION_RESTORE_TOKEN: pseudo_operation = 8;
/// Registry event (audit only): a revoked operation token's record was deleted.
pub const PSEUDO_OPERATION_DELETE_TOKEN: pseudo_operation = 9;
/// Registry event (audit only): an access token was made.
pub const PSEUDO_OPERATION_CREATE_ACCESS_TOKEN: pseudo_operation = 10;
/// Registry event (audit only): an access token was revoked.
pub const PSEUDO_OPERATION_REVOKE_ACCESS_TOKEN: pseudo_operation = 11;
/// Registry event (audit only): a revoked access token was restored.
pub const PSEUDO_OPERATION_RESTORE_ACCESS_TOKEN: pseudo_operation = 12;
/// Registry event (audit only): a revoked access token was deleted.
pub const PSEUDO_OPERATION_DELETE_ACCESS_TOKEN: pseudo_operation = 13;

/// What happens when items of a batch fail: a `PSEUDO_BATCH_*` value.
#[allow(non_camel_case_types)]
pub type pseudo_batch_mode = u32;
/// Any failed item fails the call with `PSEUDO_BATCH_FAILED`; nothing is returned.
pub const PSEUDO_BATCH_STRICT: pseudo_batch_mode = 0;
/// Every item gets its own result; failed ones have a `pseudo_item_status`.
pub const PSEUDO_BATCH_PER_ITEM: pseudo_batch_mode = 1;

/// Why one item of a per-item batch failed: a `PSEUDO_ITEM_*` value. Stable numbers.
#[allow(non_camel_case_types)]
pub type pseudo_item_status = u32;
/// The item succeeded.
pub const PSEUDO_ITEM_OK: pseudo_item_status = 0;
/// The value is empty.
pub const PSEUDO_ITEM_EMPTY_VALUE: pseudo_item_status = 1;
/// The value is longer than the engine's `max_item_bytes`.
pub const PSEUDO_ITEM_TOO_LONG: pseudo_item_status = 2;
/// The pseudonym cannot be read (bad encoding, tampered, other project, level or key version).
/// Deliberately one opaque code.
pub const PSEUDO_ITEM_INVALID_PSEUDONYM: pseudo_item_status = 3;
/// A failure this version of the C API does not know.
pub const PSEUDO_ITEM_UNKNOWN: pseudo_item_status = 255;

/// How exported key material is written: one of the `PSEUDO_KEY_ENCODING_*` values.
#[allow(non_camel_case_types)]
pub type pseudo_key_encoding = u32;
/// The serialised bytes as they are (binary).
pub const PSEUDO_KEY_ENCODING_RAW: pseudo_key_encoding = 0;
/// Lower-case hexadecimal text of the serialised bytes (no NUL is written).
pub const PSEUDO_KEY_ENCODING_HEX: pseudo_key_encoding = 1;
/// Standard padded base64 text of the serialised bytes (no NUL is written).
pub const PSEUDO_KEY_ENCODING_BASE64: pseudo_key_encoding = 2;

/// What an acting principal is: a `PSEUDO_ROLE_*` value.
#[allow(non_camel_case_types)]
pub type pseudo_role = u32;
/// A person.
pub const PSEUDO_ROLE_USER: pseudo_role = 0;
/// A person who administers the portal: decides requests, makes service tokens.
pub const PSEUDO_ROLE_ADMIN: pseudo_role = 1;
/// A machine account (service tokens are made for these).
pub const PSEUDO_ROLE_SERVICE_ACCOUNT: pseudo_role = 2;

/// Where a request stands: a `PSEUDO_REQUEST_*` value.
#[allow(non_camel_case_types)]
pub type pseudo_request_status = u32;
/// Submitted, not decided.
pub const PSEUDO_REQUEST_PENDING: pseudo_request_status = 0;
/// Approved by an administrator: tokens may be issued for it.
pub const PSEUDO_REQUEST_APPROVED: pseudo_request_status = 1;
/// Rejected by an administrator.
pub const PSEUDO_REQUEST_REJECTED: pseudo_request_status = 2;

/// The type of an issued operation token: a `PSEUDO_TOKEN_TYPE_*` value.
#[allow(non_camel_case_types)]
pub type pseudo_token_type = u32;
/// Pseudonymisation (`psn`).
pub const PSEUDO_TOKEN_TYPE_PSN: pseudo_token_type = 0;
/// Secondary (`sec`).
pub const PSEUDO_TOKEN_TYPE_SEC: pseudo_token_type = 1;
/// Reverse (`rev`), of either level.
pub const PSEUDO_TOKEN_TYPE_REV: pseudo_token_type = 2;
/// A type newer than this version of the C API.
pub const PSEUDO_TOKEN_TYPE_UNKNOWN: pseudo_token_type = 255;

/// A token's or access token's status: a `PSEUDO_RECORD_*` value. (Deleted records are gone.)
#[allow(non_camel_case_types)]
pub type pseudo_record_status = u32;
/// Usable until it expires.
pub const PSEUDO_RECORD_ACTIVE: pseudo_record_status = 0;
/// Refused until restored.
pub const PSEUDO_RECORD_REVOKED: pseudo_record_status = 1;

/// Personal or service access token: a `PSEUDO_ACCESS_*` value.
#[allow(non_camel_case_types)]
pub type pseudo_access_kind = u32;
/// Made by a user (not a service account) for themselves.
pub const PSEUDO_ACCESS_PERSONAL: pseudo_access_kind = 0;
/// Made by an administrator for a service account.
pub const PSEUDO_ACCESS_SERVICE: pseudo_access_kind = 1;
