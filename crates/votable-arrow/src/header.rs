//! The XML outside the table data: a state machine over quick-xml events that collects
//! the document metadata, the FIELDs of the tables, and says when table data begins.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use crate::decoder::DataMode;
use crate::error::{Error, Result};
use crate::metadata::{
    CooSys, DocumentInfo, FieldInfo, Info, Param, QueryStatus, Scope, TableInfo, TimeSys,
};
use crate::options::{Limits, TableSelector};

/// Element kinds the parser cares about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Votable,
    Resource,
    Table,
    Field,
    Param,
    Info,
    Description,
    Values,
    Data,
    TableData,
    Binary { binary2: bool },
    Stream,
    Fits,
    Definitions,
    Other,
}

fn tag_of(local: &str) -> Tag {
    match local {
        "VOTABLE" => Tag::Votable,
        "RESOURCE" => Tag::Resource,
        "TABLE" => Tag::Table,
        "FIELD" => Tag::Field,
        "PARAM" => Tag::Param,
        "INFO" => Tag::Info,
        "DESCRIPTION" => Tag::Description,
        "VALUES" => Tag::Values,
        "DATA" => Tag::Data,
        "TABLEDATA" => Tag::TableData,
        "BINARY" => Tag::Binary { binary2: false },
        "BINARY2" => Tag::Binary { binary2: true },
        "STREAM" => Tag::Stream,
        "FITS" => Tag::Fits,
        "DEFINITIONS" => Tag::Definitions,
        _ => Tag::Other,
    }
}

/// Which tables the parser selects for decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Want {
    Select(TableSelector),
    Nothing,
}

/// What an event meant for the driver.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Continue,
    /// A TABLE started.
    TableStart,
    /// Table data starts (the start tag of TABLEDATA or STREAM has been read).
    Data {
        selected: bool,
        mode: DataMode,
    },
    /// A selected TABLE ended without DATA.
    EmptyTable,
    /// End of the document.
    Eof,
}

struct ResourceCtx {
    kind: String,
    name: Option<String>,
}

/// Target of the text being collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Capture {
    None,
    Info,
    Description,
}

/// See the module documentation.
pub(crate) struct Parser {
    pub doc: DocumentInfo,
    limits: Limits,
    want: Want,
    stack: Vec<Tag>,
    resources: Vec<ResourceCtx>,
    seen_root: bool,
    tables_seen: usize,
    /// The TABLE being read (fields are collected only for a selected one).
    pub table: Option<TableInfo>,
    pub table_selected: bool,
    data_seen: bool,
    field: Option<FieldInfo>,
    /// True when `field` is a PARAM (else a FIELD).
    field_is_param: bool,
    info: Option<Info>,
    text: String,
    capture: Capture,
    serialization: Option<DataMode>,
    items: usize,
}

fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, l)| l)
}

fn attrs(e: &BytesStart<'_>, position: u64) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| Error::xml(position, err.to_string()))?;
        let key = a.key.0;
        if key == "xmlns" || key.starts_with("xmlns:") {
            continue;
        }
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|err| Error::xml(position, err.to_string()))?;
        out.push((local(key).to_owned(), value.into_owned()));
    }
    Ok(out)
}

fn get(attrs: &[(String, String)], key: &str) -> Option<String> {
    attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

fn field_info(a: &[(String, String)]) -> FieldInfo {
    FieldInfo {
        name: get(a, "name").unwrap_or_default(),
        id: get(a, "ID"),
        datatype: get(a, "datatype").unwrap_or_default(),
        arraysize: get(a, "arraysize"),
        unit: get(a, "unit"),
        ucd: get(a, "ucd"),
        utype: get(a, "utype"),
        xtype: get(a, "xtype"),
        ref_: get(a, "ref"),
        width: get(a, "width"),
        precision: get(a, "precision"),
        null: None,
        description: None,
        value: get(a, "value"),
    }
}

impl Parser {
    pub(crate) fn new(limits: Limits, table: TableSelector) -> Parser {
        Parser {
            doc: DocumentInfo::default(),
            limits,
            want: Want::Select(table),
            stack: Vec::new(),
            resources: Vec::new(),
            seen_root: false,
            tables_seen: 0,
            table: None,
            table_selected: false,
            data_seen: false,
            field: None,
            field_is_param: false,
            info: None,
            text: String::new(),
            capture: Capture::None,
            serialization: None,
            items: 0,
        }
    }

    pub(crate) fn set_want(&mut self, want: Want) {
        self.want = want;
    }

    /// Selects the TABLE whose start tag was just read (used to move to the next table).
    pub(crate) fn select_current_table(&mut self) {
        if self.table.is_some() && !self.data_seen {
            self.table_selected = true;
        }
    }

    fn scope(&self) -> Scope {
        if self.table.is_some() {
            Scope::Table
        } else if self.resources.is_empty() {
            Scope::Document
        } else {
            Scope::Resource
        }
    }

    fn count_item(&mut self) -> Result<()> {
        self.items += 1;
        if self.items > self.limits.max_metadata_items {
            return Err(Error::LimitExceeded(format!(
                "more than {} INFO/PARAM/COOSYS/TIMESYS elements",
                self.limits.max_metadata_items
            )));
        }
        Ok(())
    }

    fn is_selected(&self, t: &TableInfo) -> bool {
        match &self.want {
            Want::Nothing => false,
            Want::Select(TableSelector::FirstResult) => t.resource_type != "meta",
            Want::Select(TableSelector::Index(i)) => t.index == *i,
            Want::Select(TableSelector::Name(n)) => {
                t.name.as_deref() == Some(n.as_str()) || t.id.as_deref() == Some(n.as_str())
            }
        }
    }

    fn push_text(&mut self, s: &str) -> Result<()> {
        if self.capture != Capture::None {
            if (self.text.len() + s.len()) as u64 > self.limits.max_event_bytes {
                return Err(Error::LimitExceeded(format!(
                    "text content larger than {} bytes",
                    self.limits.max_event_bytes
                )));
            }
            self.text.push_str(s);
        }
        Ok(())
    }

    /// Handles one event. `position` is the document offset, for messages.
    pub(crate) fn on_event(&mut self, event: Event<'_>, position: u64) -> Result<Step> {
        match event {
            Event::Start(e) => self.on_start(&e, false, position),
            Event::Empty(e) => self.on_start(&e, true, position),
            Event::End(e) => {
                let name = e.name();
                self.on_end(tag_of(local(name.0)), position)
            }
            Event::Text(t) => {
                self.push_text(&t.xml10_content())?;
                Ok(Step::Continue)
            }
            Event::CData(t) => {
                self.push_text(&t.xml10_content())?;
                Ok(Step::Continue)
            }
            Event::GeneralRef(r) => {
                // Only the five predefined entities and character references exist here:
                // entities declared in a DOCTYPE are never expanded ("billion laughs").
                let s = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match &*r.into_inner() {
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "amp" => "&".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => {
                            return Err(Error::xml(
                                position,
                                format!("undefined entity &{other};"),
                            ));
                        }
                    },
                    Err(e) => return Err(Error::xml(position, e.to_string())),
                };
                self.push_text(&s)?;
                Ok(Step::Continue)
            }
            Event::Eof => {
                if !self.seen_root {
                    return Err(Error::invalid(position, "no VOTABLE element"));
                }
                if !self.stack.is_empty() {
                    return Err(Error::Truncated(format!(
                        "the document ends inside {} open elements",
                        self.stack.len()
                    )));
                }
                Ok(Step::Eof)
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {
                Ok(Step::Continue)
            }
        }
    }

    fn on_start(&mut self, e: &BytesStart<'_>, empty: bool, position: u64) -> Result<Step> {
        let qname = e.name();
        let tag = tag_of(local(qname.0));
        if !self.seen_root {
            if tag != Tag::Votable {
                return Err(Error::invalid(
                    position,
                    format!("not a VOTable: the root element is <{}>", qname.0),
                ));
            }
            self.seen_root = true;
        } else if self.stack.is_empty() {
            return Err(Error::xml(position, "content after the root element"));
        }
        if !empty {
            if self.stack.len() >= self.limits.max_depth {
                return Err(Error::LimitExceeded(format!(
                    "element nesting deeper than {}",
                    self.limits.max_depth
                )));
            }
            self.stack.push(tag);
        }
        let parent = if empty {
            self.stack.last().copied()
        } else {
            self.stack.iter().rev().nth(1).copied()
        };
        let step = match tag {
            Tag::Votable => {
                let a = attrs(e, position)?;
                self.doc.version = get(&a, "version");
                Step::Continue
            }
            Tag::Resource => {
                let a = attrs(e, position)?;
                if !empty {
                    self.resources.push(ResourceCtx {
                        kind: get(&a, "type").unwrap_or_else(|| "results".into()),
                        name: get(&a, "name"),
                    });
                }
                Step::Continue
            }
            Tag::Table => {
                let a = attrs(e, position)?;
                let res = self.resources.last();
                let info = TableInfo {
                    index: self.tables_seen,
                    name: get(&a, "name"),
                    id: get(&a, "ID"),
                    nrows: get(&a, "nrows").and_then(|n| n.trim().parse().ok()),
                    description: None,
                    resource_type: res.map_or_else(|| "results".into(), |r| r.kind.clone()),
                    resource_name: res.and_then(|r| r.name.clone()),
                    ..TableInfo::default()
                };
                self.tables_seen += 1;
                self.table_selected = self.is_selected(&info);
                self.data_seen = false;
                self.serialization = None;
                if empty {
                    if self.table_selected {
                        self.table = Some(info);
                        return Ok(Step::EmptyTable);
                    }
                    return Ok(Step::TableStart);
                }
                self.table = Some(info);
                Step::TableStart
            }
            Tag::Field | Tag::Param if self.field.is_none() => {
                let a = attrs(e, position)?;
                let info = field_info(&a);
                self.field_is_param = tag == Tag::Param;
                if tag == Tag::Field && parent != Some(Tag::Table) {
                    // A FIELD outside a TABLE (inside a GROUP, say) declares no column.
                    return Ok(Step::Continue);
                }
                if tag == Tag::Field {
                    let n = self.table.as_ref().map_or(0, |t| t.fields.len());
                    if n >= self.limits.max_fields {
                        return Err(Error::LimitExceeded(format!(
                            "more than {} FIELDs",
                            self.limits.max_fields
                        )));
                    }
                }
                self.field = Some(info);
                if empty {
                    self.close_field()?;
                }
                Step::Continue
            }
            Tag::Values => {
                if let Some(f) = self.field.as_mut() {
                    let a = attrs(e, position)?;
                    if let Some(n) = get(&a, "null") {
                        f.null = Some(n);
                    }
                }
                Step::Continue
            }
            Tag::Info => {
                let a = attrs(e, position)?;
                let info = Info {
                    name: get(&a, "name").unwrap_or_default(),
                    value: get(&a, "value").unwrap_or_default(),
                    id: get(&a, "ID"),
                    content: String::new(),
                    scope: self.scope(),
                };
                if empty {
                    self.add_info(info)?;
                } else {
                    self.info = Some(info);
                    self.capture = Capture::Info;
                    self.text.clear();
                }
                Step::Continue
            }
            Tag::Description => {
                if !empty && self.capture == Capture::None {
                    self.capture = Capture::Description;
                    self.text.clear();
                }
                Step::Continue
            }
            Tag::Binary { binary2 } => {
                self.serialization = Some(DataMode::Binary { binary2 });
                if empty {
                    return Ok(self.data_step(DataMode::Empty));
                }
                Step::Continue
            }
            Tag::TableData => {
                self.serialization = Some(DataMode::TableData);
                let mode = if empty {
                    DataMode::Empty
                } else {
                    DataMode::TableData
                };
                self.data_step(mode)
            }
            Tag::Fits => {
                if self.table_selected && self.table.is_some() {
                    return Err(Error::Unsupported("FITS serialisation".into()));
                }
                Step::Continue
            }
            Tag::Stream => {
                let Some(DataMode::Binary { binary2 }) = self.serialization else {
                    // STREAM of a FITS element of a skipped table: skip like BINARY.
                    return Ok(if empty {
                        Step::Continue
                    } else {
                        Step::Data {
                            selected: false,
                            mode: DataMode::Binary { binary2: false },
                        }
                    });
                };
                let a = attrs(e, position)?;
                let selected = self.table_selected && self.table.is_some();
                if selected {
                    if get(&a, "href").is_some() {
                        return Err(Error::Unsupported(
                            "STREAM with href (external data)".into(),
                        ));
                    }
                    let enc = get(&a, "encoding").unwrap_or_else(|| "base64".into());
                    if enc != "base64" {
                        return Err(Error::Unsupported(format!("STREAM encoding {enc:?}")));
                    }
                }
                let mode = if empty {
                    DataMode::Empty
                } else {
                    DataMode::Binary { binary2 }
                };
                self.data_step(mode)
            }
            Tag::Data | Tag::Definitions | Tag::Other => {
                let name = local(qname.0);
                if name == "COOSYS" || name == "TIMESYS" {
                    let a = attrs(e, position)?;
                    self.count_item()?;
                    if name == "COOSYS" {
                        self.doc.coosys.push(CooSys {
                            id: get(&a, "ID"),
                            system: get(&a, "system"),
                            equinox: get(&a, "equinox"),
                            epoch: get(&a, "epoch"),
                            refposition: get(&a, "refposition"),
                        });
                    } else {
                        self.doc.timesys.push(TimeSys {
                            id: get(&a, "ID"),
                            timeorigin: get(&a, "timeorigin"),
                            timescale: get(&a, "timescale"),
                            refposition: get(&a, "refposition"),
                        });
                    }
                }
                Step::Continue
            }
            // A PARAM or FIELD nested in a FIELD/PARAM being read: not meaningful.
            Tag::Field | Tag::Param => Step::Continue,
        };
        Ok(step)
    }

    fn data_step(&mut self, mode: DataMode) -> Step {
        let selected = self.table_selected && self.table.is_some();
        self.data_seen = true;
        if selected {
            // The selected table is delivered once; later tables need a new selection.
            self.want = Want::Nothing;
        }
        Step::Data { selected, mode }
    }

    fn on_end(&mut self, tag: Tag, position: u64) -> Result<Step> {
        let Some(open) = self.stack.pop() else {
            return Err(Error::xml(position, "unmatched end tag"));
        };
        if open != tag {
            return Err(Error::xml(position, "mismatched end tag"));
        }
        match tag {
            Tag::Resource => {
                self.resources.pop();
            }
            Tag::Table => {
                let selected_without_data = self.table_selected && !self.data_seen;
                if selected_without_data {
                    self.want = Want::Nothing;
                    self.data_seen = true;
                    return Ok(Step::EmptyTable);
                }
                self.table = None;
                self.table_selected = false;
            }
            Tag::Field | Tag::Param
                if self.field.is_some()
                    && !matches!(self.stack.last(), Some(Tag::Field | Tag::Param)) =>
            {
                self.close_field()?;
            }
            Tag::Info => {
                if let Some(mut info) = self.info.take() {
                    info.content = self.text.trim().to_owned();
                    self.text.clear();
                    self.capture = Capture::None;
                    self.add_info(info)?;
                }
            }
            Tag::Description if self.capture == Capture::Description => {
                let text = self.text.trim().to_owned();
                self.text.clear();
                self.capture = Capture::None;
                match self.stack.last() {
                    Some(Tag::Field | Tag::Param) => {
                        if let Some(f) = self.field.as_mut() {
                            f.description = Some(text);
                        }
                    }
                    Some(Tag::Table) => {
                        if let Some(t) = self.table.as_mut() {
                            t.description = Some(text);
                        }
                    }
                    Some(Tag::Votable) => self.doc.description = Some(text),
                    _ => {}
                }
            }
            _ => {}
        }
        Ok(Step::Continue)
    }

    /// Forgets the table whose empty data was just reported.
    pub(crate) fn end_table_if_closed(&mut self) {
        if !self.stack.contains(&Tag::Table) {
            self.table = None;
            self.table_selected = false;
        }
    }

    fn close_field(&mut self) -> Result<()> {
        let Some(info) = self.field.take() else {
            return Ok(());
        };
        if self.field_is_param {
            self.count_item()?;
            let scope = self.scope();
            if info.name == "Error" && scope != Scope::Table {
                // Simple Cone Search 1.03 error document.
                self.doc.query_status = QueryStatus::Error(info.value.clone().unwrap_or_default());
            }
            let param = Param { info, scope };
            if let Some(t) = self.table.as_mut() {
                t.params.push(param.clone());
            }
            self.doc.params.push(param);
        } else if let Some(t) = self.table.as_mut() {
            // Fields of skipped tables are kept too: they are small and bounded.
            t.fields.push(info);
        }
        Ok(())
    }

    fn add_info(&mut self, info: Info) -> Result<()> {
        self.count_item()?;
        if info.name == "QUERY_STATUS" {
            self.doc.query_status = match info.value.trim().to_ascii_uppercase().as_str() {
                "OVERFLOW" => QueryStatus::Overflow,
                "ERROR" => QueryStatus::Error(if info.content.is_empty() {
                    info.value.clone()
                } else {
                    info.content.clone()
                }),
                _ => QueryStatus::Ok,
            };
        } else if info.name == "Error" && info.scope != Scope::Table {
            let msg = if info.value.is_empty() {
                info.content.clone()
            } else {
                info.value.clone()
            };
            self.doc.query_status = QueryStatus::Error(msg);
        }
        if let Some(t) = self.table.as_mut() {
            t.infos.push(info.clone());
        }
        self.doc.infos.push(info);
        Ok(())
    }
}
