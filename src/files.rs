//! Files the user names: read with a size limit, and written only as regular files.
//!
//! A file is written beside its destination first and then moved into place, so a failed write
//! never leaves half a file under the chosen name. Moving a file over a device node, a folder or
//! a symlink to one would replace it (or fail late), so those destinations are refused first.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is larger than {} (the most this reads); is it the right file?", path.display(), size_words(*max))]
    TooLarge { path: PathBuf, max: u64 },
}

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{} is a folder; give a file name", path.display())]
    Folder { path: PathBuf },
    #[error("{} is not a folder; give a folder to write into", path.display())]
    NotAFolder { path: PathBuf },
    #[error("{} is a device, pipe or socket, not a regular file; give a file name", path.display())]
    Special { path: PathBuf },
    #[error("cannot write {}: {source}. Choose a folder you can write to.", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn size_words(bytes: u64) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{bytes} bytes")
    }
}

/// The whole file, or an error once it passes `max` bytes (without reading further, so a device
/// that never ends or a huge file costs nothing).
pub fn read_limited(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let io = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            max,
        });
    }
    Ok(bytes)
}

/// [`read_limited`] as text; a file that is not UTF-8 is an `InvalidData` read error.
pub fn read_text_limited(path: &Path, max: u64) -> Result<String, ReadError> {
    let bytes = read_limited(path, max)?;
    String::from_utf8(bytes).map_err(|_| ReadError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ),
    })
}

/// Ok when `path` may receive a file: nothing is there yet, or a regular file (directly or
/// through a symlink). A folder, a device node, a pipe or a socket (or a symlink to one) is
/// refused.
pub fn check_file_target(path: &Path) -> Result<(), WriteError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(meta) if meta.is_dir() => Err(WriteError::Folder {
            path: path.to_path_buf(),
        }),
        Ok(_) => Err(WriteError::Special {
            path: path.to_path_buf(),
        }),
        // Missing, or a dangling symlink: the move puts a new regular file there.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(WriteError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Ok when `path` is a folder (or a symlink to one) or nothing yet.
pub fn check_folder_target(path: &Path) -> Result<(), WriteError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(WriteError::NotAFolder {
            path: path.to_path_buf(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(WriteError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Writes `bytes` as the regular file `path` (see the module docs) in an existing folder.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    check_file_target(path)?;
    let io = |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "file".into());
    let partial = path.with_file_name(format!(".{name}.partial"));
    // A stale partial file of ours is replaced; a partial path someone made a folder or a
    // device is not written through.
    check_file_target(&partial)?;
    std::fs::write(&partial, bytes)
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            io(e)
        })
}

/// Writes each `(relative path, bytes)` under the folder `dir` with [`write_file`], creating
/// the folders on the way (each checked to be a folder or nothing yet); returns the paths
/// written, in order.
pub fn write_in_folder<'a>(
    dir: &Path,
    files: impl IntoIterator<Item = (&'a Path, &'a [u8])>,
) -> Result<Vec<PathBuf>, WriteError> {
    check_folder_target(dir)?;
    let mut written = Vec::new();
    for (relative, bytes) in files {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            check_folder_target(parent)?;
            std::fs::create_dir_all(parent).map_err(|source| WriteError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        write_file(&path, bytes)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("writeback-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn reads_a_file_at_its_limit_and_refuses_one_byte_more() {
        let dir = scratch("limit");
        let path = dir.join("f.txt");
        std::fs::write(&path, "x".repeat(64)).unwrap();
        assert_eq!(read_limited(&path, 64).unwrap().len(), 64);
        let err = read_limited(&path, 63).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { max: 63, .. }), "{err}");
        assert!(err.to_string().contains("larger than 63 bytes"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn an_endless_device_is_read_only_up_to_the_limit() {
        let err = read_limited(Path::new("/dev/zero"), 1024).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { .. }));
    }

    /// A named pipe in `dir`: a special file of the test's own, so a regression that renamed a
    /// file over it would harm nothing outside the test (unlike writing to /dev/null itself).
    #[cfg(unix)]
    fn fifo(dir: &Path) -> PathBuf {
        let path = dir.join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(made.success());
        path
    }

    #[cfg(unix)]
    #[test]
    fn devices_folders_and_symlinks_to_them_are_refused_as_outputs() {
        let dir = scratch("targets");
        let pipe = fifo(&dir);
        assert!(matches!(
            write_file(&pipe, b"x"),
            Err(WriteError::Special { .. })
        ));
        assert!(matches!(
            write_file(&dir, b"x"),
            Err(WriteError::Folder { .. })
        ));
        let to_device = dir.join("to-device");
        std::os::unix::fs::symlink("/dev/null", &to_device).unwrap();
        assert!(matches!(
            write_file(&to_device, b"x"),
            Err(WriteError::Special { .. })
        ));
        let to_folder = dir.join("to-folder");
        std::os::unix::fs::symlink(&dir, &to_folder).unwrap();
        assert!(matches!(
            write_file(&to_folder, b"x"),
            Err(WriteError::Folder { .. })
        ));
        // The pipe is still a pipe, and nothing was left beside the refused targets.
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::metadata(&pipe).unwrap().file_type().is_fifo());
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["pipe", "to-device", "to-folder"]);
    }

    #[test]
    fn new_and_regular_files_are_written_whole() {
        let dir = scratch("regular");
        let path = dir.join("report.json");
        write_file(&path, b"one").unwrap();
        write_file(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert!(!dir.join(".report.json.partial").exists());
        assert!(matches!(
            write_file(&dir.join("missing/report.json"), b"x"),
            Err(WriteError::Io { .. })
        ));
        let written =
            write_in_folder(&dir.join("tree"), [(Path::new("a/b.xml"), &b"<b/>"[..])]).unwrap();
        assert_eq!(written, [dir.join("tree/a/b.xml")]);
        assert!(matches!(
            write_in_folder(&path, [(Path::new("b.xml"), &b""[..])]),
            Err(WriteError::NotAFolder { .. })
        ));
    }
}
