//! The preview server: puts [`Responder`] on a socket (hyper on tokio), so a redirect table
//! can be tried with a browser, curl or `verify` before DNS moves.

use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response as HttpResponse};
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;

use super::bouncer::{Responder, Response};
use crate::error::{Error, Result};

/// A running preview server; stops when dropped.
pub struct PreviewServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PreviewServer {
    /// Binds `listen` (port 0 picks a free port) and serves on a background thread.
    pub fn start(responder: Responder, listen: SocketAddr) -> Result<PreviewServer> {
        let fail = |e: std::io::Error| Error::Other(format!("cannot listen on {listen}: {e}"));
        let listener = StdListener::bind(listen).map_err(fail)?;
        listener.set_nonblocking(true).map_err(fail)?;
        let addr = listener.local_addr().map_err(fail)?;
        let responder = Arc::new(responder);
        let (tx, rx) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("preview-server".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime {
                    runtime.block_on(accept_loop(listener, responder, rx));
                }
            })
            .map_err(|e| Error::Other(format!("cannot start the preview server: {e}")))?;
        Ok(PreviewServer {
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Blocks until the server thread ends (it runs until the process is stopped).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for PreviewServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(
    listener: StdListener,
    responder: Arc<Responder>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else { continue };
        let _ = stream.set_nodelay(true);
        let responder = responder.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let responder = responder.clone();
                async move { Ok::<_, Infallible>(handle(&responder, &req)) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn handle(responder: &Responder, req: &Request<Incoming>) -> HttpResponse<Full<Bytes>> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().host())
        .unwrap_or("");
    let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let answer = responder.respond(host, target);
    to_http(answer, req.method() == Method::HEAD)
}

fn to_http(answer: Response, head: bool) -> HttpResponse<Full<Bytes>> {
    let body = if head {
        Bytes::new()
    } else {
        Bytes::from(answer.body)
    };
    let mut response = HttpResponse::new(Full::new(body));
    *response.status_mut() = hyper::StatusCode::from_u16(answer.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    if let Some(ct) = answer.content_type {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    if let Some(cc) = answer.cache_control {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cc));
    }
    if let Some(location) = answer.location
        && let Ok(value) = HeaderValue::from_str(&location)
    {
        headers.insert(header::LOCATION, value);
    }
    response
}
