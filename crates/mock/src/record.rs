//! Request recording, so tests can check what a gateway actually sent upstream.
//!
//! A request is recorded when it arrives (visible while its stream is still running); how much
//! of the response was produced, and whether all of it was, is updated as the body is written.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http::request::Parts;
use serde::Serialize;

/// One request as the mock received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path without the query, e.g. `/v1/chat/completions`.
    pub path: String,
    /// Raw query string without `?`, e.g. `api-version=2024-10-21`.
    pub query: Option<String>,
    /// Header names are lowercase (HTTP/2 style); values are decoded lossily as UTF-8.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// True once the whole response was produced (for streams: the `data: [DONE]` event).
    /// Stays false when the client went away first, or the response was cut on purpose.
    pub completed: bool,
    /// Response body bytes produced so far.
    pub response_bytes: usize,
}

impl RecordedRequest {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON.
    pub fn body_json(&self) -> serde_json::Result<serde_json::Value> {
        serde_json::from_slice(&self.body)
    }
}

/// The live record of one request: fixed request data plus counters the response updates.
#[derive(Debug)]
struct Entry {
    request: RecordedRequest,
    completed: AtomicBool,
    response_bytes: AtomicUsize,
}

impl Entry {
    fn snapshot(&self) -> RecordedRequest {
        RecordedRequest {
            completed: self.completed.load(Ordering::Acquire),
            response_bytes: self.response_bytes.load(Ordering::Acquire),
            ..self.request.clone()
        }
    }
}

/// All recorded requests, in arrival order. The lock is held only to push or copy.
#[derive(Debug)]
pub(crate) struct Recorder {
    enabled: bool,
    entries: Mutex<Vec<Arc<Entry>>>,
}

impl Recorder {
    pub(crate) fn new(enabled: bool) -> Self {
        Self {
            enabled,
            entries: Mutex::new(Vec::new()),
        }
    }

    /// Records a request and returns the handle its response reports progress through.
    pub(crate) fn record(&self, parts: &Parts, body: &Bytes) -> RecordHandle {
        if !self.enabled {
            return RecordHandle::none();
        }
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect();
        let entry = Arc::new(Entry {
            request: RecordedRequest {
                method: parts.method.as_str().to_owned(),
                path: parts.uri.path().to_owned(),
                query: parts.uri.query().map(str::to_owned),
                headers,
                body: body.clone(),
                completed: false,
                response_bytes: 0,
            },
            completed: AtomicBool::new(false),
            response_bytes: AtomicUsize::new(0),
        });
        self.lock().push(Arc::clone(&entry));
        RecordHandle(Some(entry))
    }

    pub(crate) fn snapshot(&self) -> Vec<RecordedRequest> {
        // Copy the Arcs out first so the lock is not held while cloning request data.
        let entries = self.lock().clone();
        entries.iter().map(|e| e.snapshot()).collect()
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Entry>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Reports response progress to a recorded request; a no-op when recording is off.
#[derive(Debug, Clone)]
pub(crate) struct RecordHandle(Option<Arc<Entry>>);

impl RecordHandle {
    /// A handle that records nothing (control endpoints, recording off).
    pub(crate) fn none() -> Self {
        Self(None)
    }

    pub(crate) fn add_bytes(&self, n: usize) {
        if let Some(entry) = &self.0 {
            entry.response_bytes.fetch_add(n, Ordering::AcqRel);
        }
    }

    pub(crate) fn complete(&self) {
        if let Some(entry) = &self.0 {
            entry.completed.store(true, Ordering::Release);
        }
    }
}

/// The JSON form served by `GET /__mock/requests`.
#[derive(Serialize)]
pub(crate) struct RecordedRequestView<'a> {
    method: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    headers: &'a [(String, String)],
    /// The body as text (lossy UTF-8), since request bodies are JSON.
    body: std::borrow::Cow<'a, str>,
    completed: bool,
    response_bytes: usize,
}

impl<'a> From<&'a RecordedRequest> for RecordedRequestView<'a> {
    fn from(r: &'a RecordedRequest) -> Self {
        Self {
            method: &r.method,
            path: &r.path,
            query: r.query.as_deref(),
            headers: &r.headers,
            body: String::from_utf8_lossy(&r.body),
            completed: r.completed,
            response_bytes: r.response_bytes,
        }
    }
}
