//! The data folder: the keyring file follows the key chain, atomically and privately.

use std::os::unix::fs::PermissionsExt;

use pseudo_core::{Keyring, Timestamp, SECONDS_PER_DAY};
use pseudo_server::data;

#[test]
fn the_keyring_file_is_rewritten_when_the_chain_advances() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d");
    data::init(&path).unwrap();
    let opened = data::open(&path).unwrap();
    let file = path.join(data::KEYRING_FILE);
    let day = |b: &[u8]| Keyring::from_any(b).unwrap().chain_day();
    let before = std::fs::read(&file).unwrap();
    assert_eq!(day(&before), Timestamp::now().day());
    // Nothing moved: nothing written.
    assert!(!opened.keyring.sync(&opened.engine).unwrap());

    // Tomorrow (as a host simulating time may ask): the file follows, the old day is gone from it.
    assert!(opened.engine.advance_keys(Timestamp::from_unix(Timestamp::now().unix() + SECONDS_PER_DAY)));
    assert!(opened.keyring.sync(&opened.engine).unwrap());
    let after = std::fs::read(&file).unwrap();
    assert_eq!(day(&after), day(&before) + 1);
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let leftovers: Vec<_> = std::fs::read_dir(&path)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file is left behind");

    // Re-opening reads the advanced chain and does not move it back.
    drop(opened);
    let again = data::open(&path).unwrap();
    assert!(!again.keyring.sync(&again.engine).unwrap());
    assert_eq!(day(&std::fs::read(&file).unwrap()), day(&before) + 1);
}

#[test]
fn write_private_file_replaces_atomically_with_mode_0600() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("secret");
    std::fs::write(&f, b"old").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    data::write_private_file(&f, b"new").unwrap();
    assert_eq!(std::fs::read(&f).unwrap(), b"new");
    assert_eq!(std::fs::metadata(&f).unwrap().permissions().mode() & 0o777, 0o600);
}

/// A process that read the keyring before a rotation never writes its older key set back over
/// the rotated file (which would lose the new version's key).
#[test]
fn a_stale_process_does_not_overwrite_a_rotated_keyring() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d");
    data::init(&path).unwrap();
    let server = data::open(&path).unwrap();
    // `pseudo keys rotate` in another process.
    let cli = data::open(&path).unwrap();
    cli.engine.add_key_version(pseudo_core::MasterKey::generate(2).unwrap(), true).unwrap();
    cli.keyring.write_now(&cli.engine).unwrap();
    // The server's chain moves to tomorrow: its timer would write the keyring.
    assert!(server.engine.advance_keys(Timestamp::from_unix(Timestamp::now().unix() + SECONDS_PER_DAY)));
    let e = server.keyring.sync(&server.engine).unwrap_err();
    assert_eq!(e.kind(), pseudo_core::ErrorKind::InvalidState);
    let file = Keyring::from_file(path.join(data::KEYRING_FILE)).unwrap();
    assert_eq!((file.versions(), file.primary_version()), (vec![1, 2], 2));
}
