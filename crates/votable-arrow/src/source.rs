//! The byte source under the XML parser: the caller's reader, plus bytes pushed back by
//! a data decoder that read past the end of the table data, plus a budget that bounds
//! how much one XML event may consume.

use std::io::{self, BufRead, Read};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncBufRead, AsyncRead, ReadBuf};

/// The error carried inside `io::Error` when one XML event exceeds its budget.
#[derive(Debug)]
pub(crate) struct BudgetExceeded(pub u64);

impl std::fmt::Display for BudgetExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "an XML element or text node exceeds {} bytes", self.0)
    }
}

impl std::error::Error for BudgetExceeded {}

/// See the module documentation.
#[derive(Debug)]
pub(crate) struct Source<R> {
    inner: R,
    pending: Vec<u8>,
    pending_pos: usize,
    since_reset: u64,
    budget: u64,
}

impl<R> Source<R> {
    pub(crate) fn new(inner: R, budget: u64) -> Self {
        Source {
            inner,
            pending: Vec::new(),
            pending_pos: 0,
            since_reset: 0,
            budget,
        }
    }

    /// Starts a new budget period (one XML event, or one data chunk).
    pub(crate) fn reset_budget(&mut self) {
        self.since_reset = 0;
    }

    /// Makes `bytes` the next bytes read, before anything still pending.
    pub(crate) fn push_back(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut v = Vec::with_capacity(bytes.len() + self.pending.len() - self.pending_pos);
        v.extend_from_slice(bytes);
        v.extend_from_slice(self.pending.get(self.pending_pos..).unwrap_or_default());
        self.pending = v;
        self.pending_pos = 0;
    }

    fn over_budget(&self) -> Option<io::Error> {
        (self.since_reset > self.budget).then(|| io::Error::other(BudgetExceeded(self.budget)))
    }

    fn take_pending(&mut self, amt: usize) -> usize {
        let avail = self.pending.len() - self.pending_pos;
        let n = amt.min(avail);
        self.pending_pos += n;
        if self.pending_pos == self.pending.len() {
            self.pending.clear();
            self.pending_pos = 0;
        }
        n
    }
}

impl<R: BufRead> Read for Source<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), avail.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Source<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if let Some(e) = self.over_budget() {
            return Err(e);
        }
        if self.pending_pos < self.pending.len() {
            return Ok(self.pending.get(self.pending_pos..).unwrap_or_default());
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.since_reset = self.since_reset.saturating_add(amt as u64);
        if self.pending_pos < self.pending.len() {
            self.take_pending(amt);
        } else {
            self.inner.consume(amt);
        }
    }
}

impl<R: AsyncBufRead + Unpin> AsyncRead for Source<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = {
            let avail = match self.as_mut().poll_fill_buf(cx) {
                Poll::Ready(Ok(a)) => a,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            let n = avail.len().min(buf.remaining());
            buf.put_slice(avail.get(..n).unwrap_or_default());
            n
        };
        self.consume(n);
        Poll::Ready(Ok(()))
    }
}

impl<R: AsyncBufRead + Unpin> AsyncBufRead for Source<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if let Some(e) = this.over_budget() {
            return Poll::Ready(Err(e));
        }
        if this.pending_pos < this.pending.len() {
            return Poll::Ready(Ok(this.pending.get(this.pending_pos..).unwrap_or_default()));
        }
        Pin::new(&mut this.inner).poll_fill_buf(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.since_reset = this.since_reset.saturating_add(amt as u64);
        if this.pending_pos < this.pending.len() {
            this.take_pending(amt);
        } else {
            Pin::new(&mut this.inner).consume(amt);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pushed_back_bytes_come_first() {
        let mut s = Source::new(&b"world"[..], 100);
        s.push_back(b"hello ");
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert_eq!(out, "hello world");
    }

    #[test]
    fn budget_stops_reading() {
        let data = [b'a'; 100];
        let mut s = Source::new(&data[..], 10);
        let mut out = Vec::new();
        let err = s.read_to_end(&mut out).unwrap_err();
        assert!(
            err.get_ref()
                .unwrap()
                .downcast_ref::<BudgetExceeded>()
                .is_some()
        );
    }
}
