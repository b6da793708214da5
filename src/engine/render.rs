//! Rendering a rule's rows into its sentences and condition texts, with a cache keyed by the
//! values each template reads (most persons share them); a value a template only prints (a
//! date, say) is left out of the key and put into the cached text where it is printed.

use super::verdict::Sentence;
use super::*;
use datafusion::arrow::array::BooleanArray;

/// A rule's rendered rows (whose, row), kept for reuse.
pub(crate) type RuleRows = Arc<Vec<(Slot, Rendered)>>;

/// Whose row it is: a person's position in the evaluation's key facts (the order verdicts are
/// made in), or an id that is not in `personer` (kept only to be counted and checked for
/// duplicates).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Slot {
    Person(u32),
    Unknown(Arc<str>),
}

impl Slot {
    /// The order rows are gathered in: by person position, ids not in `personer` last.
    pub(crate) fn order(&self) -> u32 {
        match self {
            Slot::Person(n) => *n,
            Slot::Unknown(_) => u32::MAX,
        }
    }
}

/// The persons of an evaluation by id: their positions in its key facts (whose ids it
/// borrows). An id of digits only (a fødselsnummer) is looked up by its number: no pointer to
/// its bytes followed and no bytes compared, which at 10x (1.5 million persons, looked up at
/// random for every rule row) was a third of the render phase.
pub(crate) struct PersonIndex<'k> {
    positions: IdNumbers<&'k str>,
    len: usize,
}

/// Numbers by person id: an id of digits only found by its number ([`number_key`]), any other
/// by its text (`S`: a borrowed or an owned string).
pub(crate) struct IdNumbers<S> {
    numbers: rustc_hash::FxHashMap<u64, u32>,
    texts: rustc_hash::FxHashMap<S, u32>,
}

impl<S> Default for IdNumbers<S> {
    fn default() -> Self {
        IdNumbers {
            numbers: Default::default(),
            texts: Default::default(),
        }
    }
}

impl<S: std::borrow::Borrow<str> + std::hash::Hash + Eq> IdNumbers<S> {
    pub(crate) fn get(&self, id: &str) -> Option<u32> {
        match number_key(id) {
            Some(k) => self.numbers.get(&k).copied(),
            None => self.texts.get(id).copied(),
        }
    }

    /// Numbers `id` as `n` (an id numbered before gets the new number); only an id that is
    /// not a number is kept as `S`.
    pub(crate) fn insert<'a>(&mut self, id: &'a str, n: u32)
    where
        S: From<&'a str>,
    {
        match number_key(id) {
            Some(k) => self.numbers.insert(k, n),
            None => self.texts.insert(S::from(id), n),
        };
    }
}

/// An id of 1 to 17 ASCII digits as one number that also holds its length (so `0123` and
/// `123` differ); none for any other id.
fn number_key(id: &str) -> Option<u64> {
    let b = id.as_bytes();
    if b.is_empty() || b.len() > 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = b.iter().fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
    Some(v * 32 + b.len() as u64)
}

impl<'k> PersonIndex<'k> {
    /// The persons of `key_facts` (id in column `id_column`), numbered in order.
    pub(crate) fn of(key_facts: &'k [RecordBatch], id_column: usize) -> Result<Self, EngineError> {
        let len: usize = key_facts.iter().map(|b| b.num_rows()).sum();
        let mut positions = IdNumbers::default();
        positions.numbers.reserve(len);
        let mut n = 0u32;
        for b in key_facts {
            for id in super::facts::person_ids(b, id_column)? {
                if let Some(id) = id {
                    positions.insert(id, n);
                }
                n += 1;
            }
        }
        Ok(PersonIndex { positions, len })
    }

    /// How many persons (positions run from 0 to this).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn position(&self, id: &str) -> Option<u32> {
        self.positions.get(id)
    }

    fn slot(&self, id: &str) -> Slot {
        match self.position(id) {
            Some(n) => Slot::Person(n),
            None => Slot::Unknown(id.into()),
        }
    }
}

/// What one row of a rule's result gave: a fired rule's sentence or a condition's text.
#[derive(Clone)]
pub(crate) enum Rendered {
    Hit(Sentence),
    Krav(Arc<KravCheck>),
}

/// Texts already rendered by one thread, per (rule work, template): template 0 is the
/// sentence, 1 + k the rule's k-th condition.
pub(crate) type RenderCache = rustc_hash::FxHashMap<(usize, usize), Memo>;

/// One template's texts by the values of the columns it reads (in Arrow's row format), but for
/// the dates it only prints ([`template::printed_only`]). A template's text depends only on
/// those values and the rule's shared ones, and many persons share them (9 of 12 months, last
/// in november), so most rows need no rendering at all: a printed date (seldom shared) is put
/// into its places in the remembered text. A template whose values are seldom shared
/// (lists of dates) stops being remembered.
#[derive(Default)]
pub(crate) struct Memo {
    pub(crate) texts: rustc_hash::FxHashMap<Box<[u8]>, Cached>,
    pub(crate) hits: u64,
    pub(crate) misses: u64,
}

impl Memo {
    /// Whether remembering still pays: after a first stretch, at least one row in four found
    /// its text.
    fn worth_it(&self) -> bool {
        self.misses < 2_000 || self.hits * 3 >= self.misses
    }
}

/// A remembered text: whole, or in pieces around the places of the values printed as they are.
#[derive(Clone)]
pub(crate) enum Cached {
    Whole(Arc<str>),
    Pieces(Arc<[Piece]>),
}

#[derive(Debug, PartialEq)]
pub(crate) enum Piece {
    Text(Box<str>),
    /// The k-th printed value of the template.
    Value(usize),
}

impl Cached {
    /// The text with `values` (the printed values of a row) in their places.
    fn text(&self, values: &[String]) -> Arc<str> {
        match self {
            Cached::Whole(s) => Arc::clone(s),
            Cached::Pieces(pieces) => {
                let len = pieces
                    .iter()
                    .map(|p| match p {
                        Piece::Text(t) => t.len(),
                        Piece::Value(k) => values[*k].len(),
                    })
                    .sum();
                let mut out = String::with_capacity(len);
                for p in pieces.iter() {
                    match p {
                        Piece::Text(t) => out.push_str(t),
                        Piece::Value(k) => out.push_str(&values[*k]),
                    }
                }
                out.into()
            }
        }
    }
}

/// What the `k`-th printed value is rendered as in a text to remember: a string no data can
/// hold (a number drawn at random once per process between private-use characters). Stand-ins
/// sort as their numbers (`k` has six digits), as the dates of a list they stand for do
/// ([`template::ordered_only`]).
fn stand_in(k: usize) -> String {
    static NONCE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let nonce = NONCE.get_or_init(|| {
        use std::hash::BuildHasher;
        std::collections::hash_map::RandomState::new().hash_one(0u64)
    });
    format!("{STAND_IN_OPEN}{nonce:016x}:{k:06}{STAND_IN_CLOSE}")
}

const STAND_IN_OPEN: char = '\u{E000}';
const STAND_IN_CLOSE: char = '\u{E001}';

/// A text rendered with stand-ins ([`stand_in`]) for `n` printed values, in pieces; none if a
/// stand-in is not whole (then the text is not remembered).
fn pieces(text: &str, n: usize) -> Option<Vec<Piece>> {
    let prefix = stand_in(0);
    let prefix = &prefix[..prefix.find(':')? + 1];
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        if at > 0 {
            out.push(Piece::Text(rest[..at].into()));
        }
        let after = &rest[at + prefix.len()..];
        let end = after.find(STAND_IN_CLOSE)?;
        let k: usize = after[..end].parse().ok()?;
        if k >= n {
            return None;
        }
        out.push(Piece::Value(k));
        rest = &after[end + STAND_IN_CLOSE.len_utf8()..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest.into()));
    }
    // a stray stand-in character means the text is not what it seems
    let stray = out
        .iter()
        .any(|p| matches!(p, Piece::Text(t) if t.contains([STAND_IN_OPEN, STAND_IN_CLOSE])));
    (!stray).then_some(out)
}

/// The cache keys of one template over a batch.
pub(crate) enum Keys {
    /// The template reads no column: one text for every row.
    Same,
    Rows(datafusion::arrow::row::Rows),
    /// A column type the row format does not take: render every row.
    Unkeyed,
}

impl Keys {
    fn of(arrays: Vec<ArrayRef>) -> Keys {
        use datafusion::arrow::row::{RowConverter, SortField};
        if arrays.is_empty() {
            return Keys::Same;
        }
        let fields = arrays
            .iter()
            .map(|a| SortField::new(a.data_type().clone()))
            .collect();
        match RowConverter::new(fields).and_then(|conv| conv.convert_columns(&arrays)) {
            Ok(rows) => Keys::Rows(rows),
            Err(_) => Keys::Unkeyed,
        }
    }

    fn get(&self, row: usize) -> Option<&[u8]> {
        match self {
            Keys::Same => Some(&[]),
            Keys::Rows(r) => Some(r.row(row).data()),
            Keys::Unkeyed => None,
        }
    }
}

/// The lists a template only loops over, each with the fields of its items it uses only for
/// their order, presence and printing ([`template::ordered_only`]).
pub(crate) type Ordered = std::collections::HashMap<String, std::collections::HashSet<String>>;

/// The date fields (by position in the items' struct) of a list column that a template uses
/// only for order, presence and printing (`used`); none when it has none or is no list of
/// structs.
fn ordered_dates(
    field: &datafusion::arrow::datatypes::Field,
    used: &std::collections::HashSet<String>,
) -> Option<Vec<usize>> {
    let DataType::List(item) = field.data_type() else {
        return None;
    };
    let DataType::Struct(fields) = item.data_type() else {
        return None;
    };
    let dates: Vec<usize> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.data_type() == &DataType::Date32 && used.contains(f.name()))
        .map(|(i, _)| i)
        .collect();
    (!dates.is_empty()).then_some(dates)
}

/// A row's distinct dates in the `fields` of its list's items, in order.
fn list_dates(list: &ArrayRef, row: usize, fields: &[usize]) -> Vec<i32> {
    let (Some(l), mut dates) = (list.as_list_opt::<i32>(), Vec::new()) else {
        return Vec::new();
    };
    let Some(s) = l.values().as_struct_opt().filter(|_| l.is_valid(row)) else {
        return dates;
    };
    let offsets = l.value_offsets();
    for j in offsets[row] as usize..offsets[row + 1] as usize {
        for f in fields {
            let c = s.column(*f).as_primitive::<Date32Type>();
            if s.is_valid(j) && c.is_valid(j) {
                dates.push(c.value(j));
            }
        }
    }
    dates.sort_unstable();
    dates.dedup();
    dates
}

/// A list column of a batch whose items' dates a template uses only for their order, presence
/// and printing ([`ordered_dates`]).
struct Listed {
    column: usize,
    /// The date fields, by position in the items' struct.
    fields: Vec<usize>,
    /// Each row's distinct dates in those fields, in order ([`list_dates`]).
    dates: Vec<Vec<i32>>,
}

/// The list column with the date `fields` of its items replaced by their place among the
/// row's dates: the key of a text that depends on those dates only through their order and
/// presence; and each row's dates ([`list_dates`]). None if the column is not such a list.
fn ranked(list: &ArrayRef, fields: &[usize]) -> Option<(ArrayRef, Vec<Vec<i32>>)> {
    use datafusion::arrow::array::{Int32Array, ListArray, StructArray};
    use datafusion::arrow::datatypes::Field;
    let l = list.as_list_opt::<i32>()?;
    let s = l.values().as_struct_opt()?;
    let offsets = l.value_offsets();
    let mut ranks: Vec<Vec<Option<i32>>> = fields.iter().map(|_| vec![None; s.len()]).collect();
    let rows: Vec<Vec<i32>> = (0..l.len())
        .map(|row| list_dates(list, row, fields))
        .collect();
    for (row, dates) in rows.iter().enumerate().filter(|(r, _)| l.is_valid(*r)) {
        for j in (offsets[row] as usize..offsets[row + 1] as usize).filter(|j| s.is_valid(*j)) {
            for (n, f) in fields.iter().enumerate() {
                let c = s.column(*f).as_primitive::<Date32Type>();
                if c.is_valid(j) {
                    ranks[n][j] = dates.binary_search(&c.value(j)).ok().map(|r| r as i32);
                }
            }
        }
    }
    let mut item_fields: Vec<Arc<Field>> = s.fields().iter().cloned().collect();
    let mut columns = s.columns().to_vec();
    for (n, f) in fields.iter().enumerate() {
        item_fields[*f] = Arc::new(Field::new(item_fields[*f].name(), DataType::Int32, true));
        columns[*f] = Arc::new(Int32Array::from(std::mem::take(&mut ranks[n])));
    }
    let items = StructArray::try_new(item_fields.into(), columns, s.nulls().cloned()).ok()?;
    let item = Arc::new(Field::new("item", items.data_type().clone(), true));
    let ranked = ListArray::try_new(
        item,
        l.offsets().clone(),
        Arc::new(items),
        l.nulls().cloned(),
    );
    Some((Arc::new(ranked.ok()?), rows))
}

/// A rule's compiled templates and shared template context, for rendering its rows.
pub(crate) struct RuleWork<'a, 'e> {
    pub(crate) planned: &'a PlannedRule<'a>,
    pub(crate) lang: Lang,
    pub(crate) tmpl: minijinja::Template<'e, 'e>,
    pub(crate) krav: Vec<minijinja::Template<'e, 'e>>,
    /// The decisive fact in a few words (`kort_forklaring`), rendered beside the sentence.
    pub(crate) short: Option<minijinja::Template<'e, 'e>>,
    /// The variables each template reads: the sentence's, each condition's, the short form's.
    pub(crate) reads: Vec<std::collections::HashSet<String>>,
    /// Of those, the ones each template only prints as they are ([`template::printed_only`]).
    pub(crate) printed: Vec<std::collections::HashSet<String>>,
    /// The lists each template only loops over, with the fields of their items used only for
    /// order, presence and printing ([`template::ordered_only`]).
    pub(crate) ordered: Vec<Ordered>,
    pub(crate) base: minijinja::Value,
    /// False: no text is rendered, every one is empty ([`EngineOptions::explanations`]).
    pub(crate) texts: bool,
}

impl<'a, 'e> RuleWork<'a, 'e> {
    pub(crate) fn new(
        env: &'e minijinja::Environment<'e>,
        p: &'a PlannedRule<'a>,
        lang: Lang,
        as_of: NaiveDate,
        (short_forms, texts): (bool, bool),
    ) -> Result<Self, EngineError>
    where
        'a: 'e,
    {
        let template_error = |e: minijinja::Error| EngineError::Template {
            rule: p.rule.id.clone(),
            lang,
            message: e.to_string(),
        };
        let tmpl = env
            .template_from_str(p.rule.template(lang))
            .map_err(template_error)?;
        let krav = p
            .rule
            .krav
            .iter()
            .map(|k| env.template_from_str(k.text(lang)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(template_error)?;
        let short = p
            .rule
            .short_template(lang)
            .filter(|_| short_forms)
            .map(|t| env.template_from_str(t))
            .transpose()
            .map_err(template_error)?;
        let mut base: BTreeMap<String, minijinja::Value> = p
            .params
            .iter()
            .map(|(k, v)| (k.clone(), v.template_value()))
            .collect();
        base.insert("hjemmel".into(), p.rule.hjemmel.render(lang).into());
        base.insert("tittel".into(), p.rule.title(lang).into());
        base.insert(
            "skanningsdato".into(),
            as_of.format("%Y-%m-%d").to_string().into(),
        );
        let reads = std::iter::once(&tmpl)
            .chain(&krav)
            .chain(&short)
            .map(|t| t.undeclared_variables(false))
            .collect();
        let sources: Vec<&str> = std::iter::once(p.rule.template(lang))
            .chain(p.rule.krav.iter().map(|k| k.text(lang)))
            .chain(short.as_ref().and(p.rule.short_template(lang)))
            .collect();
        let printed = sources.iter().map(|s| template::printed_only(s)).collect();
        let ordered = sources.iter().map(|s| template::ordered_only(s)).collect();
        Ok(RuleWork {
            planned: p,
            lang,
            tmpl,
            krav,
            short,
            reads,
            printed,
            ordered,
            base: minijinja::Value::from(base),
            texts,
        })
    }

    fn template_error(&self, e: minijinja::Error) -> EngineError {
        EngineError::Template {
            rule: self.planned.rule.id.clone(),
            lang: self.lang,
            message: e.to_string(),
        }
    }

    /// Renders one batch of the rule's rows: for a scan, the sentence of every row whose
    /// conditions all hold and the failed condition of every row that misses by one; for one
    /// person (`only`), every condition with its outcome as well.
    pub(crate) fn render(
        &self,
        batch: &RecordBatch,
        (only, persons): (Option<&str>, &PersonIndex<'_>),
        (work, cache): (usize, &mut RenderCache),
    ) -> Result<Vec<(Slot, Rendered)>, EngineError> {
        let rule = self.planned.rule;
        let mut texts = BatchTexts::new(self, batch, work, cache);
        let krav_cols: Vec<(usize, &BooleanArray)> = self
            .krav_columns(batch)
            .into_iter()
            .map(|(k, c)| (k, batch.column(c).as_boolean()))
            .collect();
        let ids = batch
            .column_by_name("person_id")
            .expect("checked when planned");
        let ids = datafusion::arrow::compute::cast(ids, &DataType::Utf8View)
            .map_err(DataFusionError::from)?;
        let ids = ids.as_string_view();
        // the rows that get a text, with how many conditions they failed and the first of them
        let rows: Vec<(usize, Failed)> = (0..batch.num_rows())
            .filter(|row| !ids.is_null(*row) && only.is_none_or(|o| o == ids.value(*row)))
            .map(|row| (row, Failed::of(row, &krav_cols)))
            // Rows missed by more than one condition need no text at all.
            .filter(|(_, failed)| only.is_some() || failed.count <= 1)
            .collect();
        // their persons looked up in a loop of their own: the look-ups (each a likely cache
        // miss in a table of every person) do not wait on each other or on the texts
        let slots: Vec<Slot> = rows
            .iter()
            .map(|(row, _)| persons.slot(ids.value(*row)))
            .collect();
        let mut out = Vec::new();
        for ((row, failed), slot) in rows.into_iter().zip(slots) {
            // A scan keeps the failed condition of a near miss; one person's explanation
            // keeps every condition with its outcome.
            let keep = match only {
                Some(_) => 0..self.krav.len(),
                None if failed.count == 1 => failed.first..failed.first + 1,
                None => 0..0,
            };
            for k in keep {
                let text = texts.text(1 + k, row)?;
                out.push((
                    slot.clone(),
                    Rendered::Krav(Arc::new(KravCheck {
                        rule: rule.key.clone(),
                        krav: rule.krav[k].key.clone(),
                        oppfylt: !fails(row, k, &krav_cols),
                        text,
                    })),
                ));
            }
            if failed.count > 0 {
                continue;
            }
            let kort = match self.short {
                Some(_) => Some(texts.text(1 + self.krav.len(), row)?),
                None => None,
            };
            let sentence = Sentence {
                text: texts.text(0, row)?,
                kort,
            };
            out.push((slot, Rendered::Hit(sentence)));
        }
        Ok(out)
    }

    /// The rule's conditions whose boolean columns the batch has: (condition, column).
    fn krav_columns(&self, batch: &RecordBatch) -> Vec<(usize, usize)> {
        let schema = batch.schema();
        self.planned
            .rule
            .krav
            .iter()
            .enumerate()
            .filter_map(|(k, kr)| {
                schema
                    .fields()
                    .iter()
                    .position(|f| *f.name() == kr.column())
                    .map(|c| (k, c))
            })
            .collect()
    }

    /// The template `t`: 0 the sentence, 1 + k the k-th condition, then the short form.
    fn template(&self, t: usize) -> &minijinja::Template<'e, 'e> {
        match t {
            0 => &self.tmpl,
            t if t <= self.krav.len() => &self.krav[t - 1],
            _ => self.short.as_ref().expect("a short form"),
        }
    }
}

/// A row's failed conditions: how many, and the first of them (a near miss fails exactly
/// one), counted without a list per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Failed {
    count: usize,
    first: usize,
}

impl Failed {
    /// Of `row`, over the conditions whose boolean columns the batch has (`(condition,
    /// column)` in condition order): a null or false value fails.
    fn of(row: usize, krav_cols: &[(usize, &BooleanArray)]) -> Self {
        let mut failed = Failed { count: 0, first: 0 };
        for (k, a) in krav_cols {
            if a.is_null(row) || !a.value(row) {
                if failed.count == 0 {
                    failed.first = *k;
                }
                failed.count += 1;
            }
        }
        failed
    }
}

/// Whether condition `k` failed for `row` (a condition without a column in the batch holds).
fn fails(row: usize, k: usize, krav_cols: &[(usize, &BooleanArray)]) -> bool {
    krav_cols
        .iter()
        .any(|(kk, a)| *kk == k && (a.is_null(row) || !a.value(row)))
}

/// The texts of one batch's rows: rendered from the row's values, or taken from the thread's
/// cache when another row with the same values a template reads was rendered before.
struct BatchTexts<'r, 'a, 'e> {
    work: &'r RuleWork<'a, 'e>,
    context: Arc<values::BatchContext>,
    /// Per template, each row's cache key (the values of the columns it reads but only prints).
    keys: Vec<Keys>,
    /// Per template, the columns it only prints, put into its remembered texts.
    printed: Vec<Vec<usize>>,
    /// Per template, the list columns whose items' dates it uses only for their order,
    /// presence and printing ([`ordered_dates`]): their dates are put into its remembered
    /// texts after the printed columns', each row's in order.
    listed: Vec<Vec<Listed>>,
    index: usize,
    cache: &'r mut RenderCache,
    /// The text of every template when none is rendered.
    empty: Arc<str>,
    /// Strings a row's printed values are put into, used again for the next row.
    values: Vec<String>,
}

impl<'r, 'a, 'e> BatchTexts<'r, 'a, 'e> {
    fn new(
        work: &'r RuleWork<'a, 'e>,
        batch: &RecordBatch,
        index: usize,
        cache: &'r mut RenderCache,
    ) -> Self {
        let schema = batch.schema();
        let names: Vec<&String> = schema.fields().iter().map(|f| f.name()).collect();
        // For each template, the columns it reads: their values are its cache key (none when
        // no text is rendered).
        let mut listed = Vec::new();
        let (keys, printed) = work
            .reads
            .iter()
            .zip(&work.printed)
            .zip(&work.ordered)
            .filter(|_| work.texts)
            .map(|((vars, printed), ordered)| {
                // only dates are put in: a count or an age is shared by many persons, who
                // then share one text (put together, each row's would be a text of its own)
                let (shown, keyed): (Vec<usize>, Vec<usize>) = (0..names.len())
                    .filter(|c| vars.contains(names[*c].as_str()))
                    .partition(|c| {
                        printed.contains(names[*c].as_str())
                            && schema.field(*c).data_type() == &DataType::Date32
                    });
                // a list's dates used only for order and presence: keyed by their places
                let mut lists = Vec::new();
                let key: Vec<ArrayRef> = keyed
                    .iter()
                    .map(|c| {
                        let col = batch.column(*c);
                        let dates = ordered
                            .get(names[*c].as_str())
                            .and_then(|used| ordered_dates(schema.field(*c), used));
                        match dates.and_then(|d| ranked(col, &d).map(|r| (d, r))) {
                            Some((fields, (key, dates))) => {
                                lists.push(Listed {
                                    column: *c,
                                    fields,
                                    dates,
                                });
                                key
                            }
                            None => col.clone(),
                        }
                    })
                    .collect();
                listed.push(lists);
                (Keys::of(key), shown)
            })
            .unzip();
        let context = Arc::new(values::BatchContext {
            batch: batch.clone(),
            base: work.base.clone(),
        });
        BatchTexts {
            work,
            context,
            keys,
            printed,
            listed,
            index,
            cache,
            empty: Arc::from(""),
            values: Vec::new(),
        }
    }

    /// Template `t`'s text for `row`.
    fn text(&mut self, t: usize, row: usize) -> Result<Arc<str>, EngineError> {
        if !self.work.texts {
            return Ok(Arc::clone(&self.empty));
        }
        // the printed values' strings are used again from row to row
        let mut values = std::mem::take(&mut self.values);
        let text = self.text_with(t, row, &mut values);
        self.values = values;
        text
    }

    /// [`Self::text`] with `buffers` to print the row's values into.
    fn text_with(
        &mut self,
        t: usize,
        row: usize,
        buffers: &mut Vec<String>,
    ) -> Result<Arc<str>, EngineError> {
        let memo = self.cache.entry((self.index, t)).or_default();
        let Some(k) = self.keys[t].get(row).filter(|_| memo.worth_it()) else {
            return self.render(t, row, &[]);
        };
        // the row's printed values as the template prints them; one that is empty or begins
        // or ends in white space could change what trimming the text takes: such a row is
        // rendered whole
        let printed = &self.printed[t];
        let batch = &self.context.batch;
        let listed = &self.listed[t];
        let n = printed.len() + listed.iter().map(|l| l.dates[row].len()).sum::<usize>();
        if n >= 1_000_000 {
            return self.render(t, row, &[]);
        }
        if buffers.len() < n {
            buffers.resize_with(n, String::new);
        }
        let (columns, dates) = buffers[..n].split_at_mut(printed.len());
        for (c, out) in printed.iter().zip(columns) {
            values::printed_into(batch.column(*c), row, out);
        }
        for (d, out) in listed.iter().flat_map(|l| &l.dates[row]).zip(dates) {
            out.clear();
            values::iso_date_into(*d, out);
        }
        let values = &buffers[..n];
        if !values
            .iter()
            .all(|v| !v.is_empty() && v.trim().len() == v.len())
        {
            return self.render(t, row, &[]);
        }
        if let Some(c) = memo.texts.get(k) {
            memo.hits += 1;
            return Ok(c.text(values));
        }
        memo.misses += 1;
        let cached = if values.is_empty() {
            Cached::Whole(self.render(t, row, &[])?)
        } else {
            let mut stand_ins: Vec<(usize, minijinja::Value)> = printed
                .iter()
                .enumerate()
                .map(|(k, c)| (*c, minijinja::Value::from(stand_in(k))))
                .collect();
            let mut first = printed.len();
            for l in listed {
                let dates = &l.dates[row];
                let place = |d: i32| dates.binary_search(&d).unwrap_or(dates.len());
                let stand_in = |d: i32| minijinja::Value::from(stand_in(first + place(d)));
                let column = batch.column(l.column);
                let Some(list) = values::list_with_stand_ins(column, row, &l.fields, stand_in)
                else {
                    return self.render(t, row, &[]);
                };
                stand_ins.push((l.column, list));
                first += dates.len();
            }
            let text = self.render(t, row, &stand_ins)?;
            match pieces(&text, values.len()) {
                Some(p) => Cached::Pieces(p.into()),
                None => return self.render(t, row, &[]),
            }
        };
        let text = cached.text(values);
        // (the cache entry may have gone: re-borrowed after rendering)
        let memo = self.cache.entry((self.index, t)).or_default();
        memo.texts.insert(k.into(), cached);
        Ok(text)
    }

    /// Template `t` rendered for `row`, trimmed; the columns in `stand_ins` given those values.
    fn render(
        &self,
        t: usize,
        row: usize,
        stand_ins: &[(usize, minijinja::Value)],
    ) -> Result<Arc<str>, EngineError> {
        let ctx = values::row_context_with(&self.context, row, stand_ins);
        Ok(self
            .work
            .template(t)
            .render(&ctx)
            .map_err(|e| self.work.template_error(e))?
            .trim()
            .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::session::Session;

    /// A row's failed conditions are counted with the first of them named; null fails as
    /// false does; a condition whose column the batch lacks holds.
    #[test]
    fn failed_conditions_are_counted_with_the_first_named() {
        let a = BooleanArray::from(vec![Some(true), Some(false), None, Some(false)]);
        let b = BooleanArray::from(vec![Some(true), Some(true), Some(false), None]);
        // conditions 0 and 2 have columns; condition 1 has none in this batch
        let cols = [(0, &a), (2, &b)];
        let of = |row| Failed::of(row, &cols);
        assert_eq!(of(0), Failed { count: 0, first: 0 });
        assert_eq!(of(1), Failed { count: 1, first: 0 });
        assert_eq!(of(2), Failed { count: 2, first: 0 });
        assert_eq!(of(3), Failed { count: 2, first: 0 });
        let only_b = [(2, &b)];
        assert_eq!(Failed::of(2, &only_b), Failed { count: 1, first: 2 });
        assert_eq!(Failed::of(0, &only_b), Failed { count: 0, first: 0 });
        let fails_row = |row| (0..3).map(|k| fails(row, k, &cols)).collect::<Vec<_>>();
        assert_eq!(fails_row(0), [false, false, false]);
        assert_eq!(fails_row(1), [true, false, false]);
        assert_eq!(fails_row(2), [true, false, true]);
        assert_eq!(fails_row(3), [true, false, true]);
    }

    #[test]
    fn persons_are_found_by_number_or_by_text() {
        use datafusion::arrow::array::StringArray;
        let ids = [
            "12345678901",
            "0123",
            "123",
            "AB-1",
            "99999999999999999",
            "999999999999999999",
        ];
        let batch = |ids: &[&str]| {
            let schema = Arc::new(datafusion::arrow::datatypes::Schema::new(vec![
                datafusion::arrow::datatypes::Field::new("person_id", DataType::Utf8, true),
            ]));
            let col: ArrayRef = Arc::new(StringArray::from(ids.to_vec()));
            RecordBatch::try_new(schema, vec![col]).unwrap()
        };
        let batches = [batch(&ids[..3]), batch(&ids[3..])];
        let index = PersonIndex::of(&batches, 0).unwrap();
        assert_eq!(index.len(), 6);
        for (n, id) in ids.iter().enumerate() {
            assert_eq!(index.position(id), Some(n as u32), "{id}");
        }
        // same digits, another length; never seen
        for id in ["00123", "23", "12345678902", "ab-1", ""] {
            assert_eq!(index.position(id), None, "{id}");
        }
        assert_ne!(number_key("0123"), number_key("123"));
        assert!(number_key("999999999999999999").is_none());
    }

    #[test]
    fn a_text_put_together_from_stand_ins_is_the_text_rendered() {
        let (a, b) = (stand_in(0), stand_in(1));
        let text = format!("{a} til {b}, {a}.");
        let p = pieces(&text, 2).unwrap();
        assert_eq!(
            p,
            [
                Piece::Value(0),
                Piece::Text(" til ".into()),
                Piece::Value(1),
                Piece::Text(", ".into()),
                Piece::Value(0),
                Piece::Text(".".into()),
            ]
        );
        let values = ["2026-01-01".to_string(), "none".to_string()];
        assert_eq!(
            &*Cached::Pieces(p.into()).text(&values),
            "2026-01-01 til none, 2026-01-01."
        );
        // a stand-in out of range, cut short or a stray stand-in character: not remembered
        assert!(pieces(&text, 1).is_none());
        assert!(pieces(&a[..a.len() - 3], 1).is_none());
        assert!(pieces("x\u{E000}y", 1).is_none());
    }

    /// Every text of every rule's rows on the demo data (sentence, conditions, short form, in
    /// both languages) as the cache gives it equals the template rendered for the row alone.
    #[test]
    fn remembered_texts_are_the_texts_rendered_row_by_row() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        rt.block_on(async {
            let as_of = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/demo");
            let opts = EngineOptions::default();
            let session = Session::open(&path, None, as_of, &opts).await.unwrap();
            let engine = session.engine().await.unwrap();
            let planned = session.plan(&engine).await.unwrap();
            let (mut checked, mut pieced) = (0, 0);
            for lang in [Lang::Nb, Lang::En] {
                let env = template::environment(lang);
                for p in planned.iter().filter(|p| p.frame.is_some()) {
                    let work = RuleWork::new(&env, p, lang, as_of, (true, true)).unwrap();
                    let batches = p.frame.clone().unwrap().collect().await.unwrap();
                    let mut cache = RenderCache::default();
                    for batch in &batches {
                        let mut texts = BatchTexts::new(&work, batch, 0, &mut cache);
                        let context = Arc::new(values::BatchContext {
                            batch: batch.clone(),
                            base: work.base.clone(),
                        });
                        for t in 0..work.reads.len() {
                            for row in 0..batch.num_rows() {
                                let want = work
                                    .template(t)
                                    .render(values::row_context(&context, row))
                                    .unwrap();
                                assert_eq!(&*texts.text(t, row).unwrap(), want.trim());
                                checked += 1;
                            }
                        }
                    }
                    pieced += cache
                        .values()
                        .flat_map(|m| m.texts.values())
                        .filter(|c| matches!(c, Cached::Pieces(_)))
                        .count();
                }
            }
            assert!(checked > 1000, "{checked}");
            // dates printed as they are: remembered in pieces
            assert!(pieced > 10, "{pieced}");
        });
    }
}

/// A list's dates used only for order, presence and printing: every text put together from a
/// remembered one is the text rendered from the row itself, for lists with ties, missing
/// ends, empty and missing lists and items in any order.
#[cfg(test)]
mod ordered_lists {
    use super::*;
    use datafusion::arrow::array::{Date32Array, ListArray, StringArray, StructArray};
    use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
    use datafusion::arrow::datatypes::{Field, Fields, Schema};
    use proptest::prelude::*;

    /// An item: benefit, first day, last day (none: ongoing), or a missing item.
    type Item = Option<(usize, i32, Option<i32>)>;

    fn batch(rows: &[Option<Vec<Item>>]) -> RecordBatch {
        let items: Vec<Item> = rows.iter().flatten().flatten().copied().collect();
        let kinds = ["AAP", "UFORETRYGD", "BOSTOTTE"];
        let item_fields = Fields::from(vec![
            Field::new("ytelse", DataType::Utf8, true),
            Field::new("fom", DataType::Date32, true),
            Field::new("tom", DataType::Date32, true),
        ]);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter(
                items.iter().map(|i| i.map(|(k, ..)| kinds[k])),
            )),
            Arc::new(Date32Array::from_iter(
                items.iter().map(|i| i.map(|(_, f, _)| 20_000 + f)),
            )),
            Arc::new(Date32Array::from_iter(
                items
                    .iter()
                    .map(|i| i.and_then(|(.., t)| t.map(|t| 20_000 + t))),
            )),
        ];
        let item_nulls = NullBuffer::from(items.iter().map(Option::is_some).collect::<Vec<_>>());
        let structs = StructArray::try_new(item_fields.clone(), columns, Some(item_nulls)).unwrap();
        let lens = rows.iter().map(|r| r.as_ref().map_or(0, Vec::len));
        let list_nulls = NullBuffer::from(rows.iter().map(Option::is_some).collect::<Vec<_>>());
        let item = Arc::new(Field::new("item", DataType::Struct(item_fields), true));
        let list = ListArray::try_new(
            Arc::clone(&item),
            OffsetBuffer::from_lengths(lens),
            Arc::new(structs),
            Some(list_nulls),
        )
        .unwrap();
        let ids: Vec<String> = (0..rows.len()).map(|i| format!("{i:011}")).collect();
        let schema = Arc::new(Schema::new(vec![
            Field::new("person_id", DataType::Utf8, false),
            Field::new("ytelser", DataType::List(item), true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![Arc::new(StringArray::from(ids)), Arc::new(list)],
        )
        .unwrap()
    }

    fn item() -> impl Strategy<Value = Item> {
        // few days, so that dates tie
        proptest::option::weighted(0.9, (0usize..3, 0i32..4, proptest::option::of(0i32..4)))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn texts_put_together_are_the_texts_rendered(
            rows in proptest::collection::vec(
                proptest::option::weighted(0.95, proptest::collection::vec(item(), 0..4)),
                1..40,
            ),
        ) {
            let rules = crate::rules::RuleSet::load(None).unwrap();
            let rule = rules.rules.iter().find(|r| r.id == "har_livsoppholdsytelse").unwrap();
            // the rule's own template uses its list's dates only as this test needs
            let ordered = template::ordered_only(rule.template(Lang::Nb));
            prop_assert!(ordered["ytelser"].contains("fom") && ordered["ytelser"].contains("tom"));
            let planned = PlannedRule {
                rule,
                index: 0,
                frame: None,
                params: BTreeMap::new(),
                fingerprint: 0,
            };
            let batch = batch(&rows);
            let as_of = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
            for lang in [Lang::Nb, Lang::En] {
                let env = template::environment(lang);
                let work = RuleWork::new(&env, &planned, lang, as_of, (false, true)).unwrap();
                let context = Arc::new(values::BatchContext {
                    batch: batch.clone(),
                    base: work.base.clone(),
                });
                let mut cache = RenderCache::default();
                // twice: the second time every text is remembered
                let mut rendered = 0;
                for _ in 0..2 {
                    rendered = 0;
                    let mut texts = BatchTexts::new(&work, &batch, 0, &mut cache);
                    prop_assert_eq!(texts.listed[0].len(), 1);
                    for row in 0..batch.num_rows() {
                        let want = work.tmpl.render(values::row_context(&context, row));
                        match (texts.text(0, row), want) {
                            (Ok(got), Ok(want)) => {
                                prop_assert_eq!(&*got, want.trim());
                                rendered += 1;
                            }
                            (got, want) => prop_assert_eq!(got.is_err(), want.is_err()),
                        }
                    }
                }
                // every text of the second pass was remembered
                prop_assert!(cache[&(0, 0)].hits >= rendered);
            }
        }
    }
}
