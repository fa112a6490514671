//! The sub-code table in docs/SPEC.md §8 is the core's `Detail` table, row for row.

use pseudo_core::Detail;

#[test]
fn spec_lists_every_detail_with_its_meaning() {
    let spec = include_str!("../../docs/SPEC.md");
    let table = spec.split_once("| detail | meaning |\n|---|---|\n").expect("SPEC §8 has the detail table").1;
    let rows: Vec<(String, String)> = table
        .lines()
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| {
            let (code, rest) = l.split_once("` | ")?;
            Some((code.to_owned(), rest.strip_suffix(" |")?.to_owned()))
        })
        .collect();
    let want: Vec<(String, String)> =
        Detail::ALL.iter().map(|d| (d.as_str().to_owned(), d.meaning().to_owned())).collect();
    assert_eq!(rows, want, "docs/SPEC.md §8's detail table differs from pseudo_core::Detail");
    let mut seen = std::collections::HashSet::new();
    assert!(Detail::ALL.iter().all(|d| seen.insert(d.as_str())), "a sub-code appears twice");
}
