//! Property tests: round trips for every reversible mode and level, determinism of `same`,
//! freshness of `different`, separation, and level-2 reversal never yielding originals.
mod common;

use common::*;
use proptest::prelude::*;
use pseudo_core::*;

fn value() -> impl Strategy<Value = String> {
    "\\PC{1,40}"
}

fn format() -> impl Strategy<Value = OutputFormat> {
    prop_oneof![Just(OutputFormat::Base64url), Just(OutputFormat::Hex), Just(OutputFormat::Base32)]
}

fn treatment() -> impl Strategy<Value = Treatment> {
    prop_oneof![Just(Treatment::Same), Just(Treatment::Different)]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn reversible_level1_round_trips(values in prop::collection::vec(value(), 1..20), t in treatment(), fmt in format()) {
        let f = Fixture::new();
        let c = cfg(Method::Reversible, t, fmt);
        let p = f.psn(&f.issue(TokenKind::Pseudonymise, "P1", c), &strs(&values)).unwrap();
        let back = f.rev(&f.issue(TokenKind::Reverse(ReverseLevel::Level1), "P1", c), &p).unwrap();
        prop_assert_eq!(back, values);
    }

    #[test]
    fn level2_round_trips_to_level1(values in prop::collection::vec(value(), 1..10), t1 in treatment(), t2 in treatment(), f1 in format(), f2 in format()) {
        let f = Fixture::new();
        let src_cfg = cfg(Method::Reversible, t1, f1);
        let sec_cfg = cfg(Method::Reversible, t2, f2);
        let l1 = f.psn(&f.issue(TokenKind::Pseudonymise, "SRC", src_cfg), &strs(&values)).unwrap();
        let src = source("SRC", org(1), &src_cfg);
        let l2 = f.psn(&f.issue(TokenKind::Secondary(src.clone()), "SEC", sec_cfg), &strs(&l1)).unwrap();
        let back = f.rev(&f.issue(TokenKind::Reverse(ReverseLevel::Level2(src)), "SEC", sec_cfg), &l2).unwrap();
        for (b, v) in back.iter().zip(&values) {
            prop_assert_ne!(b, v);
        }
        prop_assert_eq!(back, l1);
    }

    #[test]
    fn same_is_deterministic_and_different_is_fresh(v in value(), rev in any::<bool>(), fmt in format()) {
        let f = Fixture::new();
        let method = if rev { Method::Reversible } else { Method::NotReversible };
        let same = f.issue(TokenKind::Pseudonymise, "P1", cfg(method, Treatment::Same, fmt));
        prop_assert_eq!(f.psn(&same, &[&v]).unwrap(), f.psn(&same, &[&v]).unwrap());
        let diff = f.issue(TokenKind::Pseudonymise, "P1", cfg(method, Treatment::Different, fmt));
        prop_assert_ne!(f.psn(&diff, &[&v, &v]).unwrap()[0].clone(), f.psn(&diff, &[&v]).unwrap()[0].clone());
    }

    #[test]
    fn other_projects_never_decrypt(v in value(), a in "[A-Z]{1,6}", b in "[A-Z]{1,6}") {
        prop_assume!(a != b);
        let f = Fixture::new();
        let c = rev_same();
        let p = f.psn(&f.issue(TokenKind::Pseudonymise, &a, c), &[&v]).unwrap();
        let e = f.rev(&f.issue(TokenKind::Reverse(ReverseLevel::Level1), &b, c), &p).unwrap_err();
        prop_assert_eq!(e.item_failures()[0].code, ItemCode::InvalidPseudonym);
    }

    #[test]
    fn arbitrary_text_never_reverses(junk in "\\PC{1,80}") {
        let f = Fixture::new();
        let r = f.issue(TokenKind::Reverse(ReverseLevel::Level1), "P1", rev_same());
        prop_assert!(f.rev(&r, &[junk]).is_err());
    }
}
