//! The template set: the Typst files shipped in the binary, optionally overridden file by
//! file from a directory. Sources are parsed once and shared by every render job.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use typst::foundations::Bytes;
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};

use super::RenderError;

/// The shipped templates, by their path inside the template root.
const EMBEDDED: [(&str, &str); 4] = [
    ("layout.typ", include_str!("../../templates/layout.typ")),
    (
        "beschlussvorlage.typ",
        include_str!("../../templates/beschlussvorlage.typ"),
    ),
    (
        "mitteilungsvorlage.typ",
        include_str!("../../templates/mitteilungsvorlage.typ"),
    ),
    (
        "ergaenzungsvorlage.typ",
        include_str!("../../templates/ergaenzungsvorlage.typ"),
    ),
];

/// The largest file an override directory may contribute (a coat of arms, a logo, a template).
const MAX_TEMPLATE_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Parsed template sources and other template files (images), addressed by virtual path.
pub struct TemplateSet {
    sources: HashMap<FileId, Source>,
    files: HashMap<FileId, Bytes>,
    /// Where each file came from, for messages: `templates/layout.typ (embedded)` or a real path.
    origins: HashMap<FileId, String>,
    /// Every file by its name, in name order (for the template set's digest).
    names: std::collections::BTreeMap<String, FileId>,
}

/// The virtual file id of `/name` in the project root.
pub fn file_id(name: &str) -> FileId {
    let vpath = VirtualPath::new(format!("/{name}")).expect("template paths are valid");
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

impl TemplateSet {
    /// The embedded templates, with every file of `override_dir` (if any) on top.
    pub fn load(override_dir: Option<&Path>) -> Result<TemplateSet, RenderError> {
        let mut set = TemplateSet {
            sources: HashMap::new(),
            files: HashMap::new(),
            origins: HashMap::new(),
            names: Default::default(),
        };
        for (name, text) in EMBEDDED {
            set.insert(
                name,
                text.as_bytes().to_vec(),
                format!("templates/{name} (embedded)"),
            );
        }
        if let Some(dir) = override_dir {
            for path in files_below(dir)? {
                let name = path
                    .strip_prefix(dir)
                    .expect("below dir")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                let io = |source| RenderError::TemplateIo {
                    path: path.clone(),
                    source,
                };
                if std::fs::metadata(&path).map_err(io)?.len() > MAX_TEMPLATE_FILE_BYTES {
                    return Err(RenderError::TemplateTooLarge { path });
                }
                let bytes = std::fs::read(&path).map_err(|e| RenderError::TemplateIo {
                    path: path.clone(),
                    source: e,
                })?;
                set.insert(&name, bytes, path.display().to_string());
            }
        }
        Ok(set)
    }

    fn insert(&mut self, name: &str, bytes: Vec<u8>, origin: String) {
        let id = file_id(name);
        if name.ends_with(".typ")
            && let Ok(text) = String::from_utf8(bytes.clone())
        {
            self.sources.insert(id, Source::new(id, text));
        } else {
            self.sources.remove(&id);
        }
        self.files.insert(id, Bytes::new(bytes));
        self.origins.insert(id, origin);
        self.names.insert(name.to_string(), id);
    }

    /// Every file in name order with its bytes: what the template set's digest covers.
    pub fn files_in_order(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.names
            .iter()
            .map(|(name, id)| (name.as_str(), self.files[id].as_slice()))
    }

    pub fn source(&self, id: FileId) -> Option<&Source> {
        self.sources.get(&id)
    }

    pub fn file(&self, id: FileId) -> Option<&Bytes> {
        self.files.get(&id)
    }

    /// Where a template file came from, for error messages.
    pub fn origin(&self, id: FileId) -> Option<&str> {
        self.origins.get(&id).map(String::as_str)
    }

    /// The main template for a paper kind, e.g. `/beschlussvorlage.typ`.
    pub fn main_for(&self, kind_key: &str) -> FileId {
        file_id(&format!("{kind_key}.typ"))
    }
}

fn files_below(dir: &Path) -> Result<Vec<PathBuf>, RenderError> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| RenderError::TemplateIo {
            path: d.clone(),
            source: e,
        })?;
        for entry in entries {
            let entry = entry.map_err(|e| RenderError::TemplateIo {
                path: d.clone(),
                source: e,
            })?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| RenderError::TemplateIo {
                path: path.clone(),
                source: e,
            })?;
            if kind.is_dir() {
                todo.push(path);
            } else if kind.is_file() {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}
