//! Tab completion in the shell: ADQL keywords and functions, service names, and the schemas, tables and
//! columns of services from their cached descriptions (completion never waits for the network: a service
//! not described yet offers its name only, and is known once a query or `\d` has named it).
//!
//! After a dot the completion follows the path: `gaia.` offers schemas and tables, `gaia.gaiadr3.` tables,
//! `gaia.gaiadr3.gaia_source.` or `g.` (an alias of the statement) columns. A bare word offers keywords,
//! functions, services, local tables and the columns of the tables the statement names so far.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use adql_federation::{DescriptionCache, ServiceConfig, TableMetadata, split_qualified};
use adql_syntax::AdqlVersion;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

use super::Shell;

/// The shell's rustyline helper.
pub(super) struct Completion {
    services: BTreeMap<String, ServiceConfig>,
    cache: Option<DescriptionCache>,
    /// Cached descriptions read so far.
    described: RefCell<HashMap<String, Rc<Vec<TableMetadata>>>>,
    /// Local tables and their columns.
    local: BTreeMap<String, Vec<String>>,
    /// The earlier lines of the statement being typed.
    pending: Rc<RefCell<String>>,
}

/// The characters of a (possibly qualified, possibly delimited) name.
fn in_name(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '"')
}

/// The name parts of `text`, folded as ADQL folds regular identifiers.
fn parts(text: &str) -> Vec<String> {
    split_qualified(text)
        .into_iter()
        .map(|(part, delimited)| {
            if delimited {
                part
            } else {
                part.to_ascii_lowercase()
            }
        })
        .collect()
}

impl Completion {
    /// Completion over the services of `shell`'s catalogue and its local tables; `pending` is shared with
    /// the read loop.
    pub(super) fn new(shell: &Shell, pending: Rc<RefCell<String>>) -> Self {
        let catalogue = shell.engine.catalogue();
        let local = shell
            .local
            .iter()
            .map(|(name, _)| {
                let columns = crate::interrupt::block_on(&shell.runtime, shell.fields(name))
                    .map(|fields| fields.into_iter().map(|f| f.name().clone()).collect())
                    .unwrap_or_default();
                (name.to_ascii_lowercase(), columns)
            })
            .collect();
        Self {
            services: catalogue
                .services()
                .map(|s| (s.name.clone(), s.clone()))
                .collect(),
            cache: catalogue.cache(),
            described: RefCell::new(HashMap::new()),
            local,
            pending,
        }
    }

    /// The tables of `service` from its cached description (read once; a service without one is looked
    /// for again next time, since a query or `\d` may have described it meanwhile).
    fn tables(&self, service: &str) -> Option<Rc<Vec<TableMetadata>>> {
        let config = self.services.get(service)?;
        if let Some(tables) = self.described.borrow().get(service) {
            return Some(Rc::clone(tables));
        }
        let description = self.cache.as_ref()?.get(service, &config.url)?;
        let tables = Rc::new(config.filter_tables(description.tables));
        self.described
            .borrow_mut()
            .insert(service.to_owned(), Rc::clone(&tables));
        Some(tables)
    }

    /// The columns of the table `name` names (local, `service.table` or `service.schema.table`).
    fn columns_of(&self, name: &[String]) -> Option<Vec<String>> {
        let columns =
            |table: &TableMetadata| table.columns.iter().map(|c| c.field_name()).collect();
        match name {
            [table] => self.local.get(table).cloned(),
            [service, table] => {
                let tables = self.tables(service)?;
                tables
                    .iter()
                    .find(|t| t.table_name() == *table)
                    .map(columns)
            }
            [service, schema, table] => {
                let tables = self.tables(service)?;
                tables
                    .iter()
                    .find(|t| t.schema_name() == *schema && t.table_name() == *table)
                    .map(columns)
            }
            _ => None,
        }
    }

    /// The tables the statement names, by the name or alias a column may be qualified with.
    fn statement_tables(&self, statement: &str) -> BTreeMap<String, Vec<String>> {
        let words: Vec<&str> = statement
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')' | ';'))
            .filter(|w| !w.is_empty())
            .collect();
        let mut tables = BTreeMap::new();
        for (i, word) in words.iter().enumerate() {
            let name = parts(word);
            let Some(columns) = self.columns_of(&name) else {
                continue;
            };
            let mut next = words.get(i + 1).copied();
            if next.is_some_and(|w| w.eq_ignore_ascii_case("AS")) {
                next = words.get(i + 2).copied();
            }
            if let Some(alias) = next.filter(|w| !adql_syntax::is_reserved(w, AdqlVersion::V2_1)) {
                tables.insert(alias.to_ascii_lowercase(), columns.clone());
            }
            if let Some(last) = name.last() {
                tables.insert(last.clone(), columns);
            }
        }
        tables
    }

    /// What may follow `path.` in `statement`.
    fn after(&self, path: &str, statement: &str) -> BTreeSet<String> {
        let name = parts(path);
        if let [service] = name.as_slice()
            && let Some(tables) = self.tables(service)
        {
            return tables
                .iter()
                .flat_map(|t| [t.schema_name(), t.table_name()])
                .filter(|n| !n.is_empty())
                .collect();
        }
        if let [service, schema] = name.as_slice()
            && let Some(tables) = self.tables(service)
        {
            let in_schema: BTreeSet<String> = tables
                .iter()
                .filter(|t| t.schema_name() == *schema)
                .map(TableMetadata::table_name)
                .collect();
            if !in_schema.is_empty() {
                return in_schema;
            }
        }
        if let Some(columns) = self.columns_of(&name) {
            return columns.into_iter().collect();
        }
        match name.as_slice() {
            [alias] => self
                .statement_tables(statement)
                .remove(alias)
                .unwrap_or_default()
                .into_iter()
                .collect(),
            _ => BTreeSet::new(),
        }
    }

    /// What a bare word may be.
    fn bare(&self, word: &str, statement: &str) -> BTreeSet<String> {
        let lower = word.chars().any(char::is_lowercase) && !word.chars().any(char::is_uppercase);
        let keywords = adql_syntax::RESERVED_WORDS_2_1.iter().map(|k| {
            if lower {
                k.to_ascii_lowercase()
            } else {
                (*k).to_owned()
            }
        });
        keywords
            .chain(self.services.keys().cloned())
            .chain(self.local.keys().cloned())
            .chain(self.statement_tables(statement).into_values().flatten())
            .collect()
    }

    /// The start of the completed text within `word`, and the candidates.
    pub(super) fn candidates(&self, word: &str, statement: &str) -> (usize, Vec<String>) {
        let (start, prefix, names) = match word.rfind('.') {
            Some(dot) => (
                dot + 1,
                word.get(dot + 1..).unwrap_or_default(),
                self.after(word.get(..dot).unwrap_or_default(), statement),
            ),
            None => (0, word, self.bare(word, statement)),
        };
        let prefix = prefix.to_lowercase();
        let matching = names
            .into_iter()
            .filter(|name| name.to_lowercase().starts_with(&prefix))
            .map(|name| {
                // A name that is not a regular identifier is written delimited.
                if adql_syntax::ast::is_regular_identifier(&name) {
                    name
                } else {
                    format!("\"{}\"", name.replace('"', "\"\""))
                }
            })
            .collect();
        (start, matching)
    }
}

impl Completer for Completion {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = line.get(..pos).unwrap_or(line);
        let start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| in_name(*c))
            .last()
            .map_or(pos, |(i, _)| i);
        let word = before.get(start..).unwrap_or_default();
        let statement = format!("{}{line}", self.pending.borrow());
        let (offset, names) = self.candidates(word, &statement);
        let pairs = names
            .into_iter()
            .map(|name| Pair {
                display: name.clone(),
                replacement: name,
            })
            .collect();
        Ok((start + offset, pairs))
    }
}

impl Hinter for Completion {
    type Hint = String;
}

impl Highlighter for Completion {}

impl Validator for Completion {}

impl Helper for Completion {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use adql_federation::{ColumnMetadata, ServiceCapabilities, ServiceDescription};

    use super::*;
    use std::path::Path;

    fn column(name: &str) -> ColumnMetadata {
        ColumnMetadata {
            name: name.to_owned(),
            datatype: "double".to_owned(),
            arraysize: None,
            xtype: None,
            unit: None,
            ucd: None,
            utype: None,
            description: None,
        }
    }

    /// Completion over a service `gaia` whose description is cached, and a local table `targets`.
    fn completion(dir: &Path) -> Completion {
        let cache = DescriptionCache::new(dir, Duration::from_secs(3600));
        let gaia = ServiceConfig::tap("gaia", "https://gea.esac.esa.int/tap-server/tap", "Gaia");
        let table = TableMetadata {
            schema: "gaiadr3".to_owned(),
            name: "gaiadr3.gaia_source".to_owned(),
            description: None,
            columns: [
                "source_id",
                "ra",
                "dec",
                "phot_g_mean_mag",
                "phot_bp_mean_mag",
            ]
            .map(column)
            .to_vec(),
            rows: None,
        };
        let description = ServiceDescription {
            capabilities: ServiceCapabilities::adql_2_1_full(),
            tables: vec![table],
        };
        cache.put("gaia", &gaia.url, &description).unwrap();
        let simbad =
            ServiceConfig::tap("simbad", "https://simbad.cds.unistra.fr/simbad/sim-tap", "");
        Completion {
            services: [("gaia".to_owned(), gaia), ("simbad".to_owned(), simbad)].into(),
            cache: Some(cache),
            described: RefCell::new(HashMap::new()),
            local: [(
                "targets".to_owned(),
                vec!["name".to_owned(), "ra".to_owned()],
            )]
            .into(),
            pending: Rc::new(RefCell::new(String::new())),
        }
    }

    #[test]
    fn paths_complete_from_cached_descriptions_and_aliases() {
        let dir = tempfile::tempdir().unwrap();
        let c = completion(dir.path());
        assert_eq!(c.candidates("ga", ""), (0, vec!["gaia".to_owned()]));
        assert_eq!(c.candidates("gaia.", "").1, ["gaia_source", "gaiadr3"]);
        assert_eq!(
            c.candidates("gaia.gaiadr3.", ""),
            (13, vec!["gaia_source".to_owned()])
        );
        assert_eq!(
            c.candidates("gaia.gaiadr3.gaia_source.phot_", "").1,
            ["phot_bp_mean_mag", "phot_g_mean_mag"]
        );
        // An alias of the statement, and the columns of the tables it names.
        let statement = "SELECT g.phot_g FROM gaia.gaiadr3.gaia_source AS g JOIN targets t ON ";
        assert_eq!(
            c.candidates("g.phot_g", statement),
            (2, vec!["phot_g_mean_mag".to_owned()])
        );
        assert_eq!(c.candidates("t.", statement).1, ["name", "ra"]);
        assert!(
            c.candidates("sour", statement)
                .1
                .contains(&"source_id".to_owned())
        );
        // Keywords follow the case typed; a service without a cached description offers nothing after a dot.
        assert!(c.candidates("sel", "").1.contains(&"select".to_owned()));
        assert!(c.candidates("SEL", "").1.contains(&"SELECT".to_owned()));
        assert!(c.candidates("simbad.", "").1.is_empty());
    }
}
