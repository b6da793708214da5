//! What an evaluation gives each person: their key facts, the rules that fired with their
//! sentences, near misses and conditions, and the status (`status_of`, kvp-rules.md).

use super::*;

/// A short text of the key facts: ids, codes and names of up to 24 bytes are kept inline, not
/// on the heap (a person's facts were ten allocations, made and freed again for every person).
pub type Short = compact_str::CompactString;

/// A person's key facts, as written to `vurderinger`.
#[derive(Debug, Clone, Default)]
pub struct PersonFacts {
    pub person_id: Short,
    pub nav_kontor: Short,
    pub veileder: Option<Short>,
    pub kommune_nr: Short,
    /// `1` mann, `2` kvinne (KOSTRA), or unknown.
    pub kjonn: Option<Short>,
    pub adressebeskyttelse: Option<Short>,
    pub alder: i64,
    pub stonadsmaneder_siste_12: i64,
    pub siste_stonadsmaned: Option<NaiveDate>,
    pub innsatsgruppe: Option<Short>,
    pub vedtak_dato: Option<NaiveDate>,
    /// None when `ytelser` is missing from the export (unknown).
    pub livsoppholdsytelser: Option<Vec<String>>,
    pub kvp_tilstand: Option<Short>,
    pub kvp_siste_hendelse: Option<Short>,
    pub kvp_siste_dato: Option<NaiveDate>,
}

impl PersonFacts {
    /// Strengt fortrolig (kode 6): the person appears only in `skjermet*` files.
    pub fn skjermet(&self) -> bool {
        crate::contract::Adressebeskyttelse::is_skjermet(self.adressebeskyttelse.as_deref())
    }
}

/// Rule ids of one verdict of one kind: a person has a few at most, kept inline (a list
/// allocated and freed per kind and person was ~200 000 allocations a national scan).
pub type Ids = smallvec::SmallVec<[Short; 2]>;

/// The outcome for one person.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub facts: PersonFacts,
    pub status: Status,
    /// The rules that fired, by id (an id is copied into a verdict without allocating, see
    /// [`crate::rules::Id`]).
    pub treff: Ids,
    pub eksklusjoner: Ids,
    pub hint: Ids,
    /// Rules that could not be decided because a table they need is missing.
    pub uavklart: Ids,
    /// One sentence per fired rule (kandidat, eksklusjon, hint order), then one per undecided rule.
    pub begrunnelse: Vec<Explanation>,
    /// Rules that did not fire because exactly one of their conditions failed.
    pub naer_treff: Vec<NearMiss>,
    /// Every condition with its outcome (only when one person is evaluated).
    pub krav: Vec<KravCheck>,
}

/// A rule condition evaluated for one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KravCheck {
    /// The rule's and the condition's ids, copied from the rule set's ([`crate::rules::Id`]):
    /// a check made per near miss allocates no string.
    pub rule: Short,
    pub krav: Short,
    pub oppfylt: bool,
    /// Shared with the rule's other rows of the same text (never copied per person).
    pub text: Arc<str>,
}

/// A rule that missed one person by a single condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearMiss {
    pub rule: Short,
    pub krav: Short,
    /// The condition's text, with the person's facts.
    pub text: Arc<str>,
}

/// A rule's sentence for one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub rule: Short,
    /// Shared: many persons get the same sentence, and it is never copied per person.
    pub text: Arc<str>,
    /// The decisive fact in a few words (the rule file's `kort_forklaring`), for the printed
    /// worklist.
    pub kort: Option<Arc<str>>,
}

/// The rules that fired for one person (rule set position) with their sentences, as gathered
/// for the person's verdict: most persons have one or two, kept inline (a list allocated and
/// freed per person was ~170 000 allocations a national scan).
pub(crate) type Fired = smallvec::SmallVec<[(usize, Sentence); 2]>;

/// The condition checks gathered for one person's verdict (near misses: usually none or one).
pub(crate) type Checks = smallvec::SmallVec<[Arc<KravCheck>; 1]>;

/// A fired rule's sentence and its short form.
#[derive(Debug, Clone)]
pub(crate) struct Sentence {
    pub(crate) text: Arc<str>,
    pub(crate) kort: Option<Arc<str>>,
}

impl Verdict {
    /// What became of one rule for this person: `treff`, `uavklart` or `ikke_treff`.
    pub fn outcome(&self, rule: &str) -> Outcome {
        if self
            .treff
            .iter()
            .chain(&self.eksklusjoner)
            .chain(&self.hint)
            .any(|r| r == rule)
        {
            Outcome::Treff
        } else if self.uavklart.iter().any(|r| r == rule) {
            Outcome::Uavklart
        } else {
            Outcome::IkkeTreff
        }
    }

    /// The sentence a rule gave this person, if any.
    pub fn sentence(&self, rule: &str) -> Option<&str> {
        self.begrunnelse
            .iter()
            .find(|e| e.rule == rule)
            .map(|e| &*e.text)
    }
}

/// Statuses on many scan dates: one row per (date, person) whose status is not `ikke_treff`.
#[derive(Debug, Clone, Default)]
pub struct DatedStatuses {
    /// The person ids; rows refer to them by position.
    pub persons: Vec<String>,
    /// Sorted by date; the order of persons within a date is not specified.
    pub rows: Vec<DatedStatus>,
}

/// A person's status on one scan date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatedStatus {
    pub dato: NaiveDate,
    /// Position in `DatedStatuses::persons`.
    pub person: u32,
    pub status: Status,
    /// The candidate rules that fired, as positions in the rule set, in rule-set order (shared
    /// by every pair with the same rules fired: no allocation per pair).
    pub treff: Arc<[usize]>,
    /// For an excluded pair (`ekskludert`), the exclusions that fired, as positions in the rule
    /// set, in rule-set order (what the report counts them by); empty for any other status, so
    /// that the many pairs a participant's exclusion opens allocate nothing.
    pub eksklusjoner: Arc<[usize]>,
}

/// Counts from one evaluation.
#[derive(Debug, Clone, Default)]
pub struct EvalStats {
    pub persons: u64,
    pub per_status: BTreeMap<Status, u64>,
    /// Persons per rule that fired for them, by rule id (complete once [`EvalStats::finish`]ed).
    pub per_rule: BTreeMap<String, u64>,
    pub undecided_rules: Vec<String>,
    /// Persons per rule by its position in the rule set, counted as verdicts are made and put
    /// into `per_rule` by [`EvalStats::finish`] (a look-up by id per fired rule and person
    /// compared strings ~200 000 times a national scan).
    pub(crate) by_position: Vec<u64>,
}

impl EvalStats {
    /// Counts one person with their status.
    pub(crate) fn count(&mut self, status: Status) {
        self.persons += 1;
        *self.per_status.entry(status).or_default() += 1;
    }

    /// Counts one person for the rule at position `i` of the rule set (a rule that fired).
    pub(crate) fn fired(&mut self, i: usize) {
        if self.by_position.len() <= i {
            self.by_position.resize(i + 1, 0);
        }
        self.by_position[i] += 1;
    }

    /// Puts the counts by position into `per_rule`, under the ids of `rules`.
    pub(crate) fn finish(&mut self, rules: &RuleSet) {
        for (i, n) in std::mem::take(&mut self.by_position)
            .into_iter()
            .enumerate()
        {
            if n > 0 {
                *self.per_rule.entry(rules.rules[i].id.clone()).or_default() += n;
            }
        }
    }
}

/// One person's verdict from the rules that fired for them; `undecided_sentences` has one
/// sentence per rule that could not be decided, whose ids are the verdict's `uavklart`.
pub(crate) fn verdict(
    rules: &RuleSet,
    facts: PersonFacts,
    mut fired: Fired,
    (krav, keep_checks): (Checks, bool),
    undecided_sentences: &[Explanation],
) -> Verdict {
    fired.sort_by_key(|(i, _)| *i);
    // Every condition is kept for one person's explanation (`keep_checks`); otherwise the
    // near misses are all that is used, and only they are made out of the checks (a check no
    // other verdict shares is moved, not copied).
    let (naer_treff, krav) = if keep_checks {
        let krav: Vec<KravCheck> = krav.into_iter().map(Arc::unwrap_or_clone).collect();
        (near_misses(&krav), krav)
    } else {
        (into_near_misses(krav), Vec::new())
    };
    // each list made at its size (most are empty, and then nothing is allocated)
    let of_kind = |k: Kind| {
        fired
            .iter()
            .filter(|(i, _)| rules.rules[*i].kind == k)
            .count()
    };
    let mut v = Verdict {
        facts,
        status: Status::IkkeTreff,
        treff: Ids::with_capacity(of_kind(Kind::Kandidat)),
        eksklusjoner: Ids::with_capacity(of_kind(Kind::Eksklusjon)),
        hint: Ids::with_capacity(of_kind(Kind::Hint)),
        uavklart: undecided_sentences.iter().map(|e| e.rule.clone()).collect(),
        begrunnelse: Vec::with_capacity(fired.len() + undecided_sentences.len()),
        naer_treff,
        krav,
    };
    let status = status_of(rules, fired.iter().map(|(i, _)| *i));
    for (i, sentence) in fired {
        let rule = &rules.rules[i];
        let id = rule.key.clone();
        match rule.kind {
            Kind::Kandidat => v.treff.push(id.clone()),
            Kind::Eksklusjon => v.eksklusjoner.push(id.clone()),
            Kind::Hint => v.hint.push(id.clone()),
        }
        v.begrunnelse.push(Explanation {
            rule: id,
            text: sentence.text,
            kort: sentence.kort,
        });
    }
    v.begrunnelse.extend(undecided_sentences.iter().cloned());
    v.status = status;
    v
}

/// The status of kvp-rules.md from the rules that fired (indices into the rule set): a status
/// set by an exclusion (`gir_status`) first, then kandidat / ekskludert when a candidate rule
/// fires, else ikke_treff.
pub fn status_of(rules: &RuleSet, fired: impl IntoIterator<Item = usize>) -> Status {
    let (mut forced, mut treff, mut eksklusjon) = (None::<Status>, false, false);
    for i in fired {
        let rule = &rules.rules[i];
        match rule.kind {
            Kind::Kandidat => treff = true,
            Kind::Eksklusjon => eksklusjon = true,
            Kind::Hint => {}
        }
        if let Some(s) = rule.gir_status {
            forced = Some(forced.map_or(s, |f| f.min(s)));
        }
    }
    match forced {
        Some(s) => s,
        None if !treff => Status::IkkeTreff,
        None if !eksklusjon => Status::Kandidat,
        None => Status::Ekskludert,
    }
}

/// The rules a person misses by exactly one condition.
pub(crate) fn near_misses(checks: &[KravCheck]) -> Vec<NearMiss> {
    let mut by_rule: BTreeMap<&str, Vec<&KravCheck>> = BTreeMap::new();
    for c in checks {
        by_rule.entry(c.rule.as_str()).or_default().push(c);
    }
    by_rule
        .into_values()
        .filter_map(
            |cs| match cs.iter().filter(|c| !c.oppfylt).collect::<Vec<_>>()[..] {
                [one] => Some(NearMiss {
                    rule: one.rule.clone(),
                    krav: one.krav.clone(),
                    text: one.text.clone(),
                }),
                _ => None,
            },
        )
        .collect()
}

/// [`near_misses`] of checks no longer needed: the same near misses, in the same order, made
/// only of the checks that are near misses (most are not), their strings moved when no other
/// verdict shares the check.
fn into_near_misses(mut checks: Checks) -> Vec<NearMiss> {
    // stable: a rule's checks keep their order, as in `near_misses`' map of lists
    checks.sort_by(|a, b| a.rule.cmp(&b.rule));
    let mut take = vec![false; checks.len()];
    let mut start = 0;
    while start < checks.len() {
        let rule = &checks[start].rule;
        let end = start
            + checks[start..]
                .iter()
                .take_while(|c| c.rule == *rule)
                .count();
        let mut failed = (start..end).filter(|i| !checks[*i].oppfylt);
        if let (Some(i), None) = (failed.next(), failed.next()) {
            take[i] = true;
        }
        start = end;
    }
    checks
        .into_iter()
        .zip(take)
        .filter(|(_, t)| *t)
        .map(|(c, _)| {
            let c = Arc::unwrap_or_clone(c);
            NearMiss {
                rule: c.rule,
                krav: c.krav,
                text: c.text,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    /// The shipped rule set and the position of a rule in it.
    fn shipped() -> (RuleSet, impl Fn(&str) -> usize) {
        let rules = RuleSet::load(None).expect("the shipped rules");
        let ids: Vec<String> = rules.rules.iter().map(|r| r.id.clone()).collect();
        (rules, move |id: &str| {
            ids.iter().position(|i| i == id).expect("a shipped rule")
        })
    }

    /// kvp-rules.md: a status set by an exclusion wins (deltaker before under behandling), then
    /// kandidat unless an exclusion fired, ekskludert if one did, ikke treff without a candidate
    /// rule; hints never change it.
    #[test]
    fn status_follows_the_precedence_of_kvp_rules() {
        let (rules, at) = shipped();
        let s = |ids: &[&str]| status_of(&rules, ids.iter().map(|i| at(i)));
        assert_eq!(s(&[]), Status::IkkeTreff);
        assert_eq!(s(&["tidligere_kvp"]), Status::IkkeTreff, "a hint alone");
        assert_eq!(s(&["langtidsmottaker"]), Status::Kandidat);
        assert_eq!(s(&["langtidsmottaker", "tidligere_kvp"]), Status::Kandidat);
        assert_eq!(
            s(&["langtidsmottaker", "har_livsoppholdsytelse"]),
            Status::Ekskludert
        );
        assert_eq!(s(&["har_livsoppholdsytelse"]), Status::IkkeTreff);
        assert_eq!(
            s(&["langtidsmottaker", "kvp_under_behandling"]),
            Status::UnderBehandling
        );
        assert_eq!(
            s(&["kvp_under_behandling", "deltar_i_kvp", "langtidsmottaker"]),
            Status::Deltaker
        );
        assert_eq!(
            s(&["deltar_i_kvp"]),
            Status::Deltaker,
            "without a candidate rule"
        );
    }

    fn check(rule: &str, krav: &str, oppfylt: bool) -> Arc<KravCheck> {
        Arc::new(KravCheck {
            rule: rule.into(),
            krav: krav.into(),
            oppfylt,
            text: format!("{rule}.{krav}").into(),
        })
    }

    /// Counts by position end up under the rules' ids; a rule that never fired is not listed.
    #[test]
    fn counts_by_position_are_counts_by_id() {
        let (rules, at) = shipped();
        let mut stats = EvalStats::default();
        for fired in [
            &["langtidsmottaker", "tidligere_kvp"][..],
            &["langtidsmottaker"],
            &[],
        ] {
            for id in fired {
                stats.fired(at(id));
            }
            stats.count(status_of(&rules, fired.iter().map(|id| at(id))));
        }
        stats.finish(&rules);
        assert_eq!(stats.persons, 3);
        let per_rule: Vec<(&str, u64)> = stats
            .per_rule
            .iter()
            .map(|(k, n)| (k.as_str(), *n))
            .collect();
        assert_eq!(per_rule, [("langtidsmottaker", 2), ("tidligere_kvp", 1)]);
        assert_eq!(stats.per_status[&Status::Kandidat], 2);
        assert_eq!(stats.per_status[&Status::IkkeTreff], 1);
    }

    /// A near miss is a rule missed by exactly one condition; two missed, or none, is not one.
    #[test]
    fn near_misses_are_rules_missed_by_one_condition() {
        let checks = [
            check("a", "x", true),
            check("a", "y", false),
            check("b", "x", false),
            check("b", "y", false),
            check("c", "x", true),
        ];
        let checks: Vec<KravCheck> = checks.iter().map(|c| (**c).clone()).collect();
        let want = vec![NearMiss {
            rule: "a".into(),
            krav: "y".into(),
            text: "a.y".into(),
        }];
        assert_eq!(near_misses(&checks), want);
        let shared = |cs: &[KravCheck]| cs.iter().cloned().map(Arc::new).collect::<Checks>();
        assert_eq!(into_near_misses(shared(&checks)), want);
        // the moving form in any order of the checks: the rules' order, as the map gives it
        let mut mixed = checks.clone();
        mixed.reverse();
        mixed.push(check("0", "z", false).as_ref().clone());
        mixed.push(check("d", "z", false).as_ref().clone());
        assert_eq!(into_near_misses(shared(&mixed)), near_misses(&mixed));
        assert_eq!(near_misses(&mixed).len(), 3, "0, a and d");
    }

    /// A verdict lists the fired rules by kind in rule-set order with their sentences (the
    /// undecided rules' sentences last), and its status from [`status_of`].
    #[test]
    fn a_verdict_sorts_what_fired_by_kind_and_order() {
        let (rules, at) = shipped();
        let sentence = |t: &str| Sentence {
            text: t.into(),
            kort: Some(format!("kort {t}").into()),
        };
        let fired = smallvec::smallvec![
            (at("tidligere_kvp"), sentence("hint")),
            (at("har_livsoppholdsytelse"), sentence("eksklusjon")),
            (at("langtidsmottaker"), sentence("kandidat")),
        ];
        let undecided = ["spesielt_tilpasset_innsats"];
        let undecided_text = vec![Explanation {
            rule: "spesielt_tilpasset_innsats".into(),
            text: "ikke vurdert".into(),
            kort: None,
        }];
        let v = verdict(
            &rules,
            PersonFacts::default(),
            fired,
            (
                smallvec::smallvec![check("standard_innsats", "x", false)],
                true,
            ),
            &undecided_text,
        );
        assert_eq!(v.status, Status::Ekskludert);
        assert_eq!(v.treff[..], ["langtidsmottaker"]);
        assert_eq!(v.eksklusjoner[..], ["har_livsoppholdsytelse"]);
        assert_eq!(v.hint[..], ["tidligere_kvp"]);
        assert_eq!(v.uavklart[..], undecided[..]);
        let order: Vec<usize> = v.begrunnelse[..3].iter().map(|e| at(&e.rule)).collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "rule-set order");
        assert_eq!(v.begrunnelse[3].text.as_ref(), "ikke vurdert");
        let lang = v
            .begrunnelse
            .iter()
            .find(|e| e.rule == "langtidsmottaker")
            .unwrap();
        assert_eq!(lang.kort.as_deref(), Some("kort kandidat"));
        assert_eq!(v.naer_treff.len(), 1);
    }
}
