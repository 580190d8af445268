//! `route lsp`: the language server (LSP 3.17 over stdio).
//!
//! Built on `lsp-server` and `lsp-types`, the synchronous crates
//! rust-analyzer runs on (docs/editors.md says why): one thread reads
//! messages and answers them in order. Every open document is a buffer
//! the checker reads before the disk ([`crate::check::overlay`]); each
//! document belongs to a project, whose entry file is `routing.route`
//! beside it when there is one ([`project::entry_for`]).
//!
//! - **Diagnostics**: on open at once, on change after [`DEBOUNCE`] of
//!   quiet (keystrokes in a burst are checked once), for every file of the
//!   project. The checker's are published as soon as the check is done; a
//!   project without errors is then analysed on a thread of its own, and
//!   its diagnostics are published again with the analysis warnings
//!   (unreachable and shadowed rules, gaps). The analysis can take longer
//!   than a keystroke (docs/performance.md): the editor is answered
//!   meanwhile, one analysis runs at a time, and the analysis of text that
//!   has changed since is dropped. A request arriving while a check is
//!   pending runs it first, so answers never lag the text.
//! - **Requests**: hover, definition, references, completion, document
//!   symbols, formatting and code actions, each read from the last check
//!   (partial: a file with errors still has its schema, teams and the
//!   rules that checked).

mod complete;
mod convert;
mod edit;
mod hover;
pub mod keywords;
mod navigate;
mod project;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::{after, never, select, unbounded, Receiver, Sender};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, References,
    Request as _,
};
use lsp_types::{
    CodeActionProviderCapability, CompletionOptions, CompletionResponse, DocumentSymbolResponse,
    GotoDefinitionResponse, Hover, HoverContents, HoverProviderCapability, InitializeResult, MarkupContent, MarkupKind,
    OneOf, Position, PublishDiagnosticsParams, ServerCapabilities, ServerInfo, TextDocumentSyncCapability,
    TextDocumentSyncKind, Url,
};
use rustc_hash::{FxHashMap, FxHashSet};

use project::Project;

/// How long the text must stay unchanged before it is checked again.
pub const DEBOUNCE: Duration = Duration::from_millis(50);

/// Why the server stopped before an orderly exit.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A handler's answer: the result, the request failing with a message
/// (`Ok(Err(_))`), or the server failing (`Err(_)`).
type Answer<T> = Result<Result<T, String>, Error>;

/// Serves one editor over stdin and stdout until it says `exit`.
///
/// # Errors
/// When the connection breaks or the client breaks the protocol.
pub fn run() -> Result<(), Error> {
    let (connection, io_threads) = Connection::stdio();
    let (id, _params) = connection.initialize_start()?;
    let result = InitializeResult {
        capabilities: capabilities(),
        server_info: Some(ServerInfo { name: "route".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
    };
    connection.initialize_finish(id, serde_json::to_value(result)?)?;
    Server::new(&connection).serve()?;
    drop(connection);
    io_threads.join()?;
    Ok(())
}

/// What the server can do.
fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(["=", "[", "(", " ", "\""].iter().map(|c| (*c).to_string()).collect()),
            ..CompletionOptions::default()
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    }
}

struct Server<'c> {
    connection: &'c Connection,
    /// Open documents: their text, keyed by normalised path.
    buffers: FxHashMap<PathBuf, String>,
    /// Open documents: their URI and version.
    open: FxHashMap<PathBuf, (Url, i32)>,
    /// Checked projects by entry file.
    projects: FxHashMap<PathBuf, Project>,
    /// Entry files to check again.
    stale: FxHashSet<PathBuf>,
    /// When the pending check is due.
    due: Option<Instant>,
    /// The URIs each project last published diagnostics for.
    published: FxHashMap<PathBuf, Vec<Url>>,
    /// Checks so far: each project records the one it is.
    generation: u64,
    /// Projects checked clean whose analysis has not started.
    unanalysed: FxHashSet<PathBuf>,
    /// Whether an analysis thread is running.
    analysing: bool,
    /// Analyses done: the entry file and the check they are of.
    analysed: (Sender<Analysed>, Receiver<Analysed>),
}

/// An analysis finished on its thread.
struct Analysed {
    entry: PathBuf,
    generation: u64,
    analysis: crate::analysis::Analysis,
}

impl<'c> Server<'c> {
    fn new(connection: &'c Connection) -> Server<'c> {
        Server {
            connection,
            buffers: FxHashMap::default(),
            open: FxHashMap::default(),
            projects: FxHashMap::default(),
            stale: FxHashSet::default(),
            due: None,
            published: FxHashMap::default(),
            generation: 0,
            unanalysed: FxHashSet::default(),
            analysing: false,
            analysed: unbounded(),
        }
    }

    /// The message loop, until `shutdown` and `exit`.
    fn serve(&mut self) -> Result<(), Error> {
        loop {
            let due = self.due.map_or_else(never, |due| after(due.saturating_duration_since(Instant::now())));
            let analysed = self.analysed.1.clone();
            let message = select! {
                recv(self.connection.receiver) -> message => match message {
                    Ok(message) => message,
                    // The client went away without `exit`.
                    Err(_) => return Ok(()),
                },
                recv(analysed) -> done => {
                    if let Ok(done) = done {
                        self.take_analysis(done)?;
                    }
                    continue;
                },
                recv(due) -> _ => {
                    self.flush()?;
                    continue;
                },
            };
            match message {
                Message::Request(request) => {
                    if self.connection.handle_shutdown(&request)? {
                        return Ok(());
                    }
                    let response = self.request(request)?;
                    self.connection.sender.send(response.into())?;
                }
                Message::Notification(notification) => self.notification(notification)?,
                Message::Response(_) => {}
            }
        }
    }

    fn notification(&mut self, notification: Notification) -> Result<(), Error> {
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let params: lsp_types::DidOpenTextDocumentParams = serde_json::from_value(notification.params)?;
                let document = params.text_document;
                self.changed(&document.uri, document.version, document.text);
                self.flush()?;
            }
            DidChangeTextDocument::METHOD => {
                let params: lsp_types::DidChangeTextDocumentParams = serde_json::from_value(notification.params)?;
                // Full sync: the last change holds the whole text.
                if let Some(change) = params.content_changes.into_iter().last() {
                    self.changed(&params.text_document.uri, params.text_document.version, change.text);
                    self.due = Some(Instant::now() + DEBOUNCE);
                }
            }
            DidCloseTextDocument::METHOD => {
                let params: lsp_types::DidCloseTextDocumentParams = serde_json::from_value(notification.params)?;
                if let Some(path) = convert::path_of(&params.text_document.uri) {
                    self.buffers.remove(&path);
                    self.open.remove(&path);
                    self.mark_stale(&path);
                    self.flush()?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Records a document's new text and marks its projects for checking.
    fn changed(&mut self, uri: &Url, version: i32, text: String) {
        let Some(path) = convert::path_of(uri) else { return };
        self.buffers.insert(path.clone(), text);
        self.open.insert(path.clone(), (uri.clone(), version));
        self.mark_stale(&path);
    }

    /// Every project reading `path`, or the one it would belong to.
    fn mark_stale(&mut self, path: &Path) {
        let readers: Vec<PathBuf> =
            self.projects.iter().filter(|(_, p)| p.file(path).is_some()).map(|(e, _)| e.clone()).collect();
        if readers.is_empty() {
            let entry = self.entry_for(path);
            self.stale.insert(entry);
        }
        self.stale.extend(readers);
    }

    fn entry_for(&self, path: &Path) -> PathBuf {
        project::entry_for(path, &self.projects, &|p| self.buffers.contains_key(p))
    }

    /// Checks the stale projects and publishes their diagnostics, then
    /// starts analysing; drops a project none of whose files is open any
    /// more.
    fn flush(&mut self) -> Result<(), Error> {
        self.due = None;
        let stale: Vec<PathBuf> = self.stale.drain().collect();
        for entry in stale {
            self.generation += 1;
            let checked = project::check(&entry, &self.buffers, self.generation);
            if checked.paths().iter().any(|p| self.open.contains_key(p)) {
                if checked.partial.complete().is_some() {
                    self.unanalysed.insert(entry.clone());
                }
                self.projects.insert(entry.clone(), checked);
                self.publish(&entry)?;
            } else {
                self.projects.remove(&entry);
                self.unpublish(&entry, &[])?;
            }
        }
        self.analyse_next();
        Ok(())
    }

    /// Starts the analysis of a project checked clean, unless one runs.
    fn analyse_next(&mut self) {
        if self.analysing {
            return;
        }
        while let Some(entry) = self.unanalysed.iter().next().cloned() {
            self.unanalysed.remove(&entry);
            let Some(project) = self.projects.get(&entry) else { continue };
            let Some((program, sources)) = project.analysis_input() else { continue };
            let (generation, sender) = (project.generation, self.analysed.0.clone());
            self.analysing = true;
            std::thread::spawn(move || {
                let analysis = project::analyse(&program, &sources);
                // The server may be gone; nothing is waiting then.
                let _ = sender.send(Analysed { entry, generation, analysis });
            });
            return;
        }
    }

    /// An analysis finished: published when its text is still current.
    fn take_analysis(&mut self, done: Analysed) -> Result<(), Error> {
        self.analysing = false;
        let current = self.projects.get_mut(&done.entry).filter(|p| p.generation == done.generation);
        if let Some(project) = current {
            project.add_analysis(done.analysis);
            self.publish(&done.entry)?;
        }
        self.analyse_next();
        Ok(())
    }

    /// Publishes a project's diagnostics, one notification per file (an
    /// empty one clears what an earlier check said).
    fn publish(&mut self, entry: &Path) -> Result<(), Error> {
        let Some(project) = self.projects.get(entry) else { return Ok(()) };
        let sources = &project.partial.sources;
        let mut uris = Vec::new();
        for (id, file) in sources.files() {
            let Some(uri) = convert::uri_of(&file.path) else { continue };
            let diagnostics = project
                .partial
                .diagnostics
                .0
                .iter()
                .filter(|d| d.span().file == id)
                .map(|d| convert::diagnostic(sources, d))
                .collect();
            let version = self.open.get(&file.path).map(|(_, v)| *v);
            send(
                self.connection,
                PublishDiagnostics::METHOD,
                PublishDiagnosticsParams { uri: uri.clone(), diagnostics, version },
            )?;
            uris.push(uri);
        }
        self.unpublish(entry, &uris)?;
        self.published.insert(entry.to_path_buf(), uris);
        Ok(())
    }

    /// Clears the diagnostics of files the project no longer reads.
    fn unpublish(&mut self, entry: &Path, keep: &[Url]) -> Result<(), Error> {
        for uri in self.published.remove(entry).unwrap_or_default() {
            if !keep.contains(&uri) {
                let params = PublishDiagnosticsParams { uri, diagnostics: Vec::new(), version: None };
                send(self.connection, PublishDiagnostics::METHOD, params)?;
            }
        }
        Ok(())
    }

    /// The checked project of a document, checking it first when a change
    /// is pending or it was never checked.
    fn project(&mut self, uri: &Url) -> Result<Option<(&Project, PathBuf)>, Error> {
        let Some(path) = convert::path_of(uri) else { return Ok(None) };
        if !self.stale.is_empty() {
            self.flush()?;
        }
        let entry = self.entry_for(&path);
        if !self.projects.contains_key(&entry) {
            self.generation += 1;
            self.projects.insert(entry.clone(), project::check(&entry, &self.buffers, self.generation));
        }
        Ok(self.projects.get(&entry).map(|p| (p, path)))
    }

    fn request(&mut self, request: Request) -> Result<Response, Error> {
        Ok(match request.method.as_str() {
            HoverRequest::METHOD => self.respond::<HoverRequest>(request, Server::hover)?,
            GotoDefinition::METHOD => self.respond::<GotoDefinition>(request, Server::definition)?,
            References::METHOD => self.respond::<References>(request, Server::references)?,
            Completion::METHOD => self.respond::<Completion>(request, Server::completion)?,
            DocumentSymbolRequest::METHOD => self.respond::<DocumentSymbolRequest>(request, Server::symbols)?,
            Formatting::METHOD => self.respond::<Formatting>(request, Server::formatting)?,
            CodeActionRequest::METHOD => self.respond::<CodeActionRequest>(request, Server::code_actions)?,
            _ => Response::new_err(request.id, ErrorCode::MethodNotFound as i32, format!("no `{}`", request.method)),
        })
    }

    /// Decodes the parameters, runs `handler`, encodes its answer; a
    /// handler's `Err(message)` is the request failing, not the server.
    fn respond<R: lsp_types::request::Request>(
        &mut self,
        request: Request,
        handler: fn(&mut Self, R::Params) -> Answer<R::Result>,
    ) -> Result<Response, Error> {
        let params = match serde_json::from_value::<R::Params>(request.params) {
            Ok(params) => params,
            Err(e) => return Ok(Response::new_err(request.id, ErrorCode::InvalidParams as i32, e.to_string())),
        };
        Ok(match handler(self, params)? {
            Ok(result) => Response::new_ok(request.id, result),
            Err(message) => Response::new_err(request.id, ErrorCode::RequestFailed as i32, message),
        })
    }

    /// The project, file and byte offset of a position.
    fn locate(
        &mut self,
        uri: &Url,
        position: Position,
    ) -> Result<Option<(&Project, crate::source::FileId, usize)>, Error> {
        let Some((project, path)) = self.project(uri)? else { return Ok(None) };
        Ok(project.file(&path).map(|(id, file)| (project, id, file.utf16_offset(position.line, position.character))))
    }

    fn hover(&mut self, params: lsp_types::HoverParams) -> Answer<Option<Hover>> {
        let at = params.text_document_position_params;
        let Some((project, file, offset)) = self.locate(&at.text_document.uri, at.position)? else {
            return Ok(Ok(None));
        };
        Ok(Ok(hover::hover(project, file, offset).map(|(text, span)| Hover {
            contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value: text }),
            range: Some(convert::range(&project.partial.sources, span)),
        })))
    }

    fn definition(&mut self, params: lsp_types::GotoDefinitionParams) -> Answer<Option<GotoDefinitionResponse>> {
        let at = params.text_document_position_params;
        let Some((project, file, offset)) = self.locate(&at.text_document.uri, at.position)? else {
            return Ok(Ok(None));
        };
        let found = navigate::definition(project, file, offset);
        Ok(Ok((!found.is_empty()).then_some(GotoDefinitionResponse::Array(found))))
    }

    fn references(&mut self, params: lsp_types::ReferenceParams) -> Answer<Option<Vec<lsp_types::Location>>> {
        let at = params.text_document_position;
        let Some((project, file, offset)) = self.locate(&at.text_document.uri, at.position)? else {
            return Ok(Ok(None));
        };
        Ok(Ok(Some(navigate::references(project, file, offset, params.context.include_declaration))))
    }

    fn completion(&mut self, params: lsp_types::CompletionParams) -> Answer<Option<CompletionResponse>> {
        let at = params.text_document_position;
        let Some((project, file, offset)) = self.locate(&at.text_document.uri, at.position)? else {
            return Ok(Ok(None));
        };
        let Some(source) = project.partial.sources.get(file) else { return Ok(Ok(None)) };
        let line_start = source.line_range(at.position.line as usize).map_or(0, |r| r.start);
        let before = source.text.get(line_start..offset).unwrap_or("");
        Ok(Ok(Some(CompletionResponse::Array(complete::complete(project, before)))))
    }

    fn symbols(&mut self, params: lsp_types::DocumentSymbolParams) -> Answer<Option<DocumentSymbolResponse>> {
        let Some((project, path)) = self.project(&params.text_document.uri)? else { return Ok(Ok(None)) };
        let Some((file, _)) = project.file(&path) else { return Ok(Ok(None)) };
        Ok(Ok(Some(DocumentSymbolResponse::Nested(navigate::symbols(project, file)))))
    }

    fn formatting(&mut self, params: lsp_types::DocumentFormattingParams) -> Answer<Option<Vec<lsp_types::TextEdit>>> {
        let Some(path) = convert::path_of(&params.text_document.uri) else { return Ok(Ok(None)) };
        let text = match self.buffers.get(&path) {
            Some(text) => text.clone(),
            None => std::fs::read_to_string(&path)?,
        };
        Ok(edit::format(&text).map(Some))
    }

    fn code_actions(&mut self, params: lsp_types::CodeActionParams) -> Answer<Option<lsp_types::CodeActionResponse>> {
        let uri = params.text_document.uri;
        let Some((project, path)) = self.project(&uri)? else { return Ok(Ok(None)) };
        let Some((file, _)) = project.file(&path) else { return Ok(Ok(None)) };
        Ok(Ok(Some(edit::code_actions(project, file, &uri, &params.range))))
    }
}

/// Sends a notification.
fn send(connection: &Connection, method: &str, params: impl serde::Serialize) -> Result<(), Error> {
    let notification = Notification::new(method.to_string(), params);
    connection.sender.send(Message::Notification(notification))?;
    Ok(())
}
