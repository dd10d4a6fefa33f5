//! The Mashup request object, sent as the form field `request` of `POST …/api/v0/invoke`.

use serde_json::{Map, Value};

use super::filters::Filter;

/// One Mashup request.
#[derive(Debug, Clone, PartialEq)]
pub struct MashupRequest {
    /// The service, e.g. `Mast.Caom.Cone` or `Mast.Caom.Filtered.Position`.
    pub service: String,
    /// The service parameters.
    pub params: Map<String, Value>,
    /// The answer format; this client reads `json`.
    pub format: String,
    /// Rows per page.
    pub pagesize: u64,
    /// The 1-based page.
    pub page: u64,
    /// Seconds the server works before answering `EXECUTING` (then we ask again).
    pub timeout: u64,
    /// Ask the server to drop all-null columns. Off by default: pages would disagree on their
    /// columns.
    pub remove_null_columns: bool,
    /// A random token defeating the server's result cache; re-polls and further pages repeat
    /// it, as the server requires for an identical request.
    pub cache_breaker: Option<String>,
}

impl MashupRequest {
    /// A request for `service` with default settings (50 000 rows per page, a 30 s server
    /// timeout, a fresh cache breaker).
    pub fn new(service: &str) -> Self {
        MashupRequest {
            service: service.to_owned(),
            params: Map::new(),
            format: "json".to_owned(),
            pagesize: 50_000,
            page: 1,
            timeout: 30,
            remove_null_columns: false,
            cache_breaker: Some(format!("{:032x}", rand::random::<u128>())),
        }
    }

    /// Sets one parameter.
    pub fn param(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.params.insert(name.to_owned(), value.into());
        self
    }

    /// Sets the filters of a `*.Filtered*` service (and `columns` to `*` unless set).
    pub fn filters(mut self, filters: &[Filter]) -> Self {
        self.params
            .entry("columns")
            .or_insert_with(|| Value::String("*".to_owned()));
        self.params.insert(
            "filters".to_owned(),
            Value::Array(filters.iter().map(Filter::to_json).collect()),
        );
        self
    }

    /// Restricts to a cone (degrees): `"position": "ra, dec, radius"` for the
    /// `….Position` services, `ra`/`dec`/`radius` parameters for cone services.
    pub fn position(mut self, ra: f64, dec: f64, radius: f64) -> Self {
        if self.service.ends_with(".Position") {
            self.params.insert(
                "position".to_owned(),
                Value::String(format!("{ra}, {dec}, {radius}")),
            );
        } else {
            self.params.insert("ra".to_owned(), Value::from(ra));
            self.params.insert("dec".to_owned(), Value::from(dec));
            self.params.insert("radius".to_owned(), Value::from(radius));
        }
        self
    }

    /// The same request for another page.
    pub fn with_page(&self, page: u64) -> Self {
        MashupRequest {
            page,
            ..self.clone()
        }
    }

    /// The request object.
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("service".to_owned(), Value::String(self.service.clone()));
        obj.insert("params".to_owned(), Value::Object(self.params.clone()));
        obj.insert("format".to_owned(), Value::String(self.format.clone()));
        obj.insert("pagesize".to_owned(), Value::from(self.pagesize));
        obj.insert("page".to_owned(), Value::from(self.page));
        obj.insert("timeout".to_owned(), Value::from(self.timeout));
        obj.insert(
            "removenullcolumns".to_owned(),
            Value::Bool(self.remove_null_columns),
        );
        if let Some(cb) = &self.cache_breaker {
            obj.insert("cachebreaker".to_owned(), Value::String(cb.clone()));
        }
        Value::Object(obj)
    }

    /// The form body: `request=<JSON>`.
    pub fn form(&self) -> Vec<(String, String)> {
        vec![("request".to_owned(), self.to_json().to_string())]
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn position_forms() {
        let r = MashupRequest::new("Mast.Caom.Filtered.Position").position(210.8023, 54.349, 0.24);
        assert_eq!(r.params["position"], json!("210.8023, 54.349, 0.24"));
        let r = MashupRequest::new("Mast.Caom.Cone").position(1.5, -2.0, 0.2);
        assert_eq!(
            (
                r.params["ra"].clone(),
                r.params["dec"].clone(),
                r.params["radius"].clone()
            ),
            (json!(1.5), json!(-2.0), json!(0.2))
        );
    }

    #[test]
    fn request_object() {
        let mut r = MashupRequest::new("Mast.Caom.Filtered")
            .filters(&["obs_collection=JWST".parse().unwrap()]);
        r.cache_breaker = None;
        assert_eq!(
            r.with_page(3).to_json(),
            json!({"service": "Mast.Caom.Filtered", "format": "json", "pagesize": 50000, "page": 3, "timeout": 30,
                   "removenullcolumns": false,
                   "params": {"columns": "*", "filters": [{"paramName": "obs_collection", "values": ["JWST"]}]}})
        );
        assert_eq!(MashupRequest::new("x").cache_breaker.unwrap().len(), 32);
    }
}
