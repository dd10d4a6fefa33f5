//! Turning an HTTP response holding a VOTable into a streaming [`QueryResult`].

use futures::StreamExt;
use url::Url;
use votable_arrow::{AsyncVOTableReader, QueryStatus, ReaderOptions};

use crate::error::{Error, Result};
use crate::http::{body_reader, io_error};
use crate::result::{Chunk, Completeness, QueryResult};

/// Maps a decoder error: I/O failures are transport failures (a connection closed or stalled
/// mid-body), service error documents are service errors, the rest are VOTable errors.
pub(crate) fn map_error(service: &str, url: &Url, err: votable_arrow::Error) -> Error {
    match err {
        votable_arrow::Error::Io(io) => io_error(service, url, &io),
        votable_arrow::Error::ServiceError(message) => Error::Service {
            service: service.to_owned(),
            url: url.clone(),
            message,
        },
        source => Error::VOTable {
            service: service.to_owned(),
            url: url.clone(),
            source,
        },
    }
}

/// Starts decoding a VOTable response body; batches arrive as the body does.
///
/// `maxrec` is the limit we asked for, reported in [`Completeness::Truncated`].
pub(crate) async fn stream_response(
    service: &str,
    resp: reqwest::Response,
    options: ReaderOptions,
    maxrec: Option<u64>,
) -> Result<QueryResult> {
    let url = resp.url().clone();
    let (body, rest) = body_reader(resp);
    let reader = AsyncVOTableReader::new(body, options)
        .await
        .map_err(|e| map_error(service, &url, e))?;
    let schema = reader.schema();
    let service = service.to_owned();
    let stream = futures::stream::unfold(Some((reader, rest)), move |state| {
        let service = service.clone();
        let url = url.clone();
        async move {
            let (mut reader, rest) = state?;
            match reader.next_batch().await {
                Ok(Some(batch)) => Some((Ok(Chunk::Batch(batch)), Some((reader, rest)))),
                Err(err) => Some((Err(map_error(&service, &url, err)), None)),
                Ok(None) => {
                    // Read to the end of the document: the status may follow the table, and a
                    // document cut short after the rows is still an error.
                    let finished = reader.finish().await;
                    // The reader is gone: read the tail of the body so the connection is reused.
                    rest.drain(64 * 1024).await;
                    let item = match finished {
                        Err(err) => Err(map_error(&service, &url, err)),
                        Ok(doc) => match doc.query_status {
                            QueryStatus::Ok => Ok(Chunk::End(Completeness::Complete)),
                            QueryStatus::Overflow => {
                                Ok(Chunk::End(Completeness::Truncated { maxrec }))
                            }
                            QueryStatus::Error(message) => Err(Error::Service {
                                service,
                                url,
                                message,
                            }),
                        },
                    };
                    Some((item, None))
                }
            }
        }
    });
    Ok(QueryResult::new(schema, stream.boxed()))
}
