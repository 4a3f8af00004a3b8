//! Close languages that detectors cannot reliably tell apart on short text, named as their
//! group when the evidence between them is thin: the ISO 639 macrolanguages among the
//! detectors' languages. On lingua's test sentences a Bosnian sentence is called Bosnian 42%
//! of the time (Croatian or Serbian otherwise), a Malay one Malay 29%; on real Croatian exam
//! questions lingua says Bosnian for 11%. Naming the group there says what is known (the text
//! is Serbo-Croatian), and its confidence is the group's, so `min_confidence` does not drop a
//! clear Serbo-Croatian text because its evidence is split three ways.

/// A group of close languages and the code it is named by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// The group's code: `sh` Serbo-Croatian (the code lid.176 uses; ISO 639-3 `hbs`), `no`
    /// Norwegian, `ms` Malay (the macrolanguage, which includes Indonesian).
    pub code: &'static str,
    /// The codes of its members, as lingua (ISO 639-1) and lid.176 write them.
    pub members: &'static [&'static str],
}

/// The groups.
pub const GROUPS: [Group; 3] = [
    Group { code: "sh", members: &["hr", "bs", "sr", "sh"] },
    Group { code: "no", members: &["nb", "nn", "no"] },
    Group { code: "ms", members: &["ms", "id"] },
];

/// The group `code` belongs to, as a member or as the group's own code.
pub fn group_of(code: &str) -> Option<&'static Group> {
    GROUPS.iter().find(|g| g.code == code || g.members.contains(&code))
}

/// The detection from candidates ranked best first, `(code, confidence)`: the best language,
/// or its group when the runner-up is of the same group and the best holds less than
/// `min_share` of the confidence the group's candidates share (0 never names a group). A
/// group's confidence is the sum of its candidates'.
pub fn decide(ranked: &[(String, f64)], min_share: f64) -> Option<(String, f64)> {
    let (best, confidence) = ranked.first()?;
    let Some(group) = group_of(best) else { return Some((best.clone(), *confidence)) };
    let same_group = ranked.get(1).is_some_and(|(second, _)| group.members.contains(&second.as_str()));
    if !same_group {
        return Some((best.clone(), *confidence));
    }
    let shared: f64 =
        ranked.iter().filter(|(c, _)| group.members.contains(&c.as_str())).map(|(_, p)| p).sum();
    if shared > 0.0 && confidence / shared < min_share {
        Some((group.code.to_string(), shared.min(1.0)))
    } else {
        Some((best.clone(), *confidence))
    }
}

/// Whether a document detected as `detected` is in the keep list `keep`: its code is listed,
/// or it is a group and one of the group's members is listed (keeping `hr` keeps text that is
/// Serbo-Croatian but could not be told apart further).
pub fn allowed(keep: &[String], detected: &str) -> bool {
    keep.is_empty()
        || keep.iter().any(|k| k == detected)
        || GROUPS.iter().any(|g| g.code == detected && keep.iter().any(|k| g.members.contains(&k.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked(pairs: &[(&str, f64)]) -> Vec<(String, f64)> {
        pairs.iter().map(|(c, p)| (c.to_string(), *p)).collect()
    }

    #[test]
    fn thin_evidence_between_close_languages_names_the_group() {
        let d = |pairs: &[(&str, f64)]| decide(&ranked(pairs), 0.6).unwrap();
        assert_eq!(d(&[("bs", 0.45), ("hr", 0.35), ("sr", 0.2)]), ("sh".to_string(), 1.0));
        assert_eq!(d(&[("hr", 0.65), ("bs", 0.35)]), ("hr".to_string(), 0.65));
        // A runner-up from outside the group leaves the best as it is.
        assert_eq!(d(&[("hr", 0.5), ("sl", 0.4), ("bs", 0.1)]), ("hr".to_string(), 0.5));
        assert_eq!(d(&[("de", 0.5), ("nl", 0.5)]), ("de".to_string(), 0.5));
        assert_eq!(d(&[("id", 0.55), ("ms", 0.45)]), ("ms".to_string(), 1.0));
        // Off.
        assert_eq!(decide(&ranked(&[("bs", 0.45), ("hr", 0.35)]), 0.0).unwrap(), ("bs".to_string(), 0.45));
        assert_eq!(decide(&[], 0.9), None);
    }

    #[test]
    fn a_group_is_kept_when_one_of_its_members_is() {
        let keep = vec!["hr".to_string()];
        assert!(
            allowed(&keep, "hr") && allowed(&keep, "sh") && !allowed(&keep, "bs") && !allowed(&keep, "no")
        );
        assert!(allowed(&[], "sh"));
        assert!(allowed(&["sh".to_string()], "sh"));
    }
}
