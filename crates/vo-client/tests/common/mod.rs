//! Test helpers: a scripted HTTP server on loopback that records every request and answers
//! with raw bytes (including broken answers), and small VOTable documents.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    pub fn query(&self) -> &str {
        self.target.split_once('?').map(|(_, q)| q).unwrap_or("")
    }

    /// The urlencoded form fields of the body.
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }

    pub fn form_value(&self, key: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

/// What the server does with a request.
pub enum Action {
    /// Write these bytes, then close.
    Send(Vec<u8>),
    /// Write these bytes, then keep the socket open without writing (a stalled server).
    Stall(Vec<u8>),
    /// Wait, then write these bytes and close.
    Delay(Duration, Vec<u8>),
}

type Handler = dyn Fn(&Recorded, usize) -> Action + Send + Sync;

/// The scripted server. The handler gets each request and its 0-based index.
pub struct TestServer {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    pub connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    pub async fn start(
        handler: impl Fn(&Recorded, usize) -> Action + Send + Sync + 'static,
    ) -> Self {
        Self::start_on("127.0.0.1:0", handler).await
    }

    pub async fn start_on(
        bind: &str,
        handler: impl Fn(&Recorded, usize) -> Action + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind(bind).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let (reqs, conns) = (requests.clone(), connections.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                conns.fetch_add(1, Ordering::SeqCst);
                let (reqs, handler) = (reqs.clone(), handler.clone());
                tokio::spawn(async move {
                    serve(sock, reqs, handler).await;
                });
            }
        });
        TestServer {
            addr,
            requests,
            connections,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

async fn read_request(sock: &mut TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Recorded {
        method,
        target,
        headers,
        body,
        at: Instant::now(),
    })
}

async fn serve(mut sock: TcpStream, reqs: Arc<Mutex<Vec<Recorded>>>, handler: Arc<Handler>) {
    let Some(req) = read_request(&mut sock).await else {
        return;
    };
    let index = {
        let mut r = reqs.lock().unwrap();
        r.push(req.clone());
        r.len() - 1
    };
    match handler(&req, index) {
        Action::Send(bytes) => {
            let _ = sock.write_all(&bytes).await;
            let _ = sock.shutdown().await;
        }
        Action::Stall(bytes) => {
            let _ = sock.write_all(&bytes).await;
            let _ = sock.flush().await;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Action::Delay(d, bytes) => {
            tokio::time::sleep(d).await;
            let _ = sock.write_all(&bytes).await;
            let _ = sock.shutdown().await;
        }
    }
}

/// A complete HTTP/1.1 response that closes the connection.
pub fn response(status: u16, content_type: &str, body: &[u8]) -> Vec<u8> {
    response_with(status, &[("Content-Type", content_type)], body)
}

pub fn response_with(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A redirect.
pub fn redirect(status: u16, location: &str) -> Vec<u8> {
    response_with(status, &[("Location", location)], b"")
}

/// A TABLEDATA VOTable with columns id (int) and name (char*) and `rows` rows, and an
/// optional trailing QUERY_STATUS.
pub fn votable(rows: usize, trailing_status: Option<&str>) -> String {
    let mut s = String::from(
        r#"<?xml version="1.0"?><VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3"><RESOURCE type="results"><INFO name="QUERY_STATUS" value="OK"/><TABLE><FIELD name="id" datatype="int"/><FIELD name="name" datatype="char" arraysize="*"/><DATA><TABLEDATA>"#,
    );
    for i in 0..rows {
        s.push_str(&format!("<TR><TD>{i}</TD><TD>row{i}</TD></TR>"));
    }
    s.push_str("</TABLEDATA></DATA></TABLE>");
    if let Some(st) = trailing_status {
        s.push_str(&format!(r#"<INFO name="QUERY_STATUS" value="{st}"/>"#));
    }
    s.push_str("</RESOURCE></VOTABLE>");
    s
}

pub fn votable_response(rows: usize) -> Vec<u8> {
    response(
        200,
        "application/x-votable+xml",
        votable(rows, None).as_bytes(),
    )
}

/// Where `shared/fixtures` is (found by walking up from this crate), if anywhere.
pub fn fixtures_dir() -> Option<std::path::PathBuf> {
    let start = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let found = start
        .ancestors()
        .map(|d| d.join("shared").join("fixtures"))
        .find(|d| d.is_dir());
    if found.is_none() {
        eprintln!(
            "SKIP: no shared/fixtures above {} (the recorded answers are not here)",
            start.display()
        );
    }
    found
}
