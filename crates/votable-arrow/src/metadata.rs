//! What a VOTable says besides its rows: INFOs, PARAMs, coordinate and time systems,
//! FIELD descriptions and the query status.

/// Outcome of the query as reported by `INFO name="QUERY_STATUS"` (DALI), or by the
/// Simple Cone Search 1.03 `INFO`/`PARAM name="Error"`. The last status in document order
/// wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum QueryStatus {
    /// `OK`, or no status at all.
    #[default]
    Ok,
    /// `OVERFLOW`: the service truncated the result at its row limit.
    Overflow,
    /// `ERROR` with the message of the service (the INFO body, else its `value`).
    Error(String),
}

impl QueryStatus {
    /// True for [`QueryStatus::Overflow`].
    pub fn is_overflow(&self) -> bool {
        matches!(self, QueryStatus::Overflow)
    }
}

/// Where an INFO or PARAM was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Directly under VOTABLE (or inside DEFINITIONS).
    Document,
    /// Inside a RESOURCE, outside any TABLE.
    Resource,
    /// Inside a TABLE.
    Table,
}

/// An `INFO` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    /// `name` attribute.
    pub name: String,
    /// `value` attribute.
    pub value: String,
    /// `ID` attribute, if any.
    pub id: Option<String>,
    /// Text content (CDATA included), trimmed.
    pub content: String,
    /// Where the INFO was found.
    pub scope: Scope,
}

/// A `FIELD` or `PARAM` declaration, attributes verbatim.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldInfo {
    /// `name` attribute (may be empty, duplicated or not an identifier).
    pub name: String,
    /// `ID` attribute.
    pub id: Option<String>,
    /// `datatype` attribute.
    pub datatype: String,
    /// `arraysize` attribute.
    pub arraysize: Option<String>,
    /// `unit` attribute.
    pub unit: Option<String>,
    /// `ucd` attribute.
    pub ucd: Option<String>,
    /// `utype` attribute.
    pub utype: Option<String>,
    /// `xtype` attribute.
    pub xtype: Option<String>,
    /// `ref` attribute (usually the ID of a COOSYS or TIMESYS).
    pub ref_: Option<String>,
    /// `width` attribute.
    pub width: Option<String>,
    /// `precision` attribute.
    pub precision: Option<String>,
    /// `null` attribute of the child `VALUES`.
    pub null: Option<String>,
    /// Text of the child `DESCRIPTION`, trimmed.
    pub description: Option<String>,
    /// `value` attribute (PARAM only).
    pub value: Option<String>,
}

/// A `PARAM` with the place it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// The declaration, including its `value`.
    pub info: FieldInfo,
    /// Where the PARAM was found.
    pub scope: Scope,
}

/// A `COOSYS` element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CooSys {
    /// `ID` attribute, the target of FIELD `ref`.
    pub id: Option<String>,
    /// `system` attribute (`ICRS`, `eq_FK5`, …).
    pub system: Option<String>,
    /// `equinox` attribute.
    pub equinox: Option<String>,
    /// `epoch` attribute.
    pub epoch: Option<String>,
    /// `refposition` attribute.
    pub refposition: Option<String>,
}

/// A `TIMESYS` element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeSys {
    /// `ID` attribute, the target of FIELD `ref`.
    pub id: Option<String>,
    /// `timeorigin` attribute.
    pub timeorigin: Option<String>,
    /// `timescale` attribute.
    pub timescale: Option<String>,
    /// `refposition` attribute.
    pub refposition: Option<String>,
}

/// Metadata of one TABLE.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableInfo {
    /// Zero-based index of the table in document order.
    pub index: usize,
    /// `name` attribute.
    pub name: Option<String>,
    /// `ID` attribute.
    pub id: Option<String>,
    /// `nrows` attribute as declared (not trusted for allocation).
    pub nrows: Option<u64>,
    /// `DESCRIPTION` of the table.
    pub description: Option<String>,
    /// `type` attribute of the enclosing RESOURCE (`results` when absent).
    pub resource_type: String,
    /// `name` attribute of the enclosing RESOURCE.
    pub resource_name: Option<String>,
    /// The FIELD declarations in order.
    pub fields: Vec<FieldInfo>,
    /// The PARAMs declared inside the TABLE.
    pub params: Vec<Param>,
    /// The INFOs inside the TABLE (before and after the data).
    pub infos: Vec<Info>,
}

/// Everything the document says outside the rows, as far as it has been read.
///
/// After a reader is exhausted this is the document's trailer: INFOs that follow the
/// table (such as a late `QUERY_STATUS=OVERFLOW`) are included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentInfo {
    /// `version` attribute of VOTABLE.
    pub version: Option<String>,
    /// `DESCRIPTION` of the VOTABLE.
    pub description: Option<String>,
    /// The query status; the last QUERY_STATUS (or SCS `Error`) seen wins.
    pub query_status: QueryStatus,
    /// All INFO elements, in document order (table INFOs included).
    pub infos: Vec<Info>,
    /// All PARAM elements, in document order (table PARAMs included).
    pub params: Vec<Param>,
    /// All COOSYS elements.
    pub coosys: Vec<CooSys>,
    /// All TIMESYS elements.
    pub timesys: Vec<TimeSys>,
}

impl DocumentInfo {
    /// The COOSYS whose `ID` is `id` (the target of a FIELD `ref`).
    pub fn coosys_by_id(&self, id: &str) -> Option<&CooSys> {
        self.coosys.iter().find(|c| c.id.as_deref() == Some(id))
    }

    /// The TIMESYS whose `ID` is `id`.
    pub fn timesys_by_id(&self, id: &str) -> Option<&TimeSys> {
        self.timesys.iter().find(|c| c.id.as_deref() == Some(id))
    }

    /// The first INFO named `name` (case-sensitive).
    pub fn info(&self, name: &str) -> Option<&Info> {
        self.infos.iter().find(|i| i.name == name)
    }

    /// The first PARAM named `name` (case-sensitive).
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.info.name == name)
    }
}
