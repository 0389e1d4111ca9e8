//! Media references: data URLs and MIME types guessed from file names.

/// A `data:<mime>;base64,<data>` URL split into its MIME type and payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DataUrl<'a> {
    pub mime_type: &'a str,
    pub data: &'a str,
}

/// Parses a base64 data URL. `Err` carries the reason for a 400: Gemini only
/// takes base64 inline data, so a percent-encoded data URL is refused rather
/// than re-encoded.
pub(crate) fn parse_data_url(url: &str) -> Option<Result<DataUrl<'_>, &'static str>> {
    let rest = url.strip_prefix("data:")?;
    let Some((header, data)) = rest.split_once(',') else {
        return Some(Err("data URL without a comma"));
    };
    let Some(mime_type) = header.strip_suffix(";base64") else {
        return Some(Err("data URL is not base64-encoded"));
    };
    if mime_type.is_empty() {
        return Some(Err("data URL without a MIME type"));
    }
    Some(Ok(DataUrl { mime_type, data }))
}

/// The data URL of base64 `data`.
pub(crate) fn data_url(mime_type: &str, data: &str) -> String {
    format!("data:{mime_type};base64,{data}")
}

/// The MIME type of a URL or file name from its extension, if known. The
/// query and fragment are ignored.
pub(crate) fn guess_mime_type(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let name = path.rsplit('/').next().unwrap_or(path);
    let (_, extension) = name.rsplit_once('.')?;
    let mime = match extension.to_ascii_lowercase().as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "heic" => "image/heic",
        "heif" => "image/heif",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "md" => "text/markdown",
        "html" | "htm" => "text/html",
        "csv" => "text/csv",
        "json" => "application/json",
        "wav" => "audio/wav",
        "mp3" => "audio/mp3",
        "aac" => "audio/aac",
        "ogg" => "audio/ogg",
        "flac" => "audio/flac",
        "mp4" => "video/mp4",
        "mpeg" | "mpg" => "video/mpeg",
        "mov" => "video/mov",
        "webm" => "video/webm",
        _ => return None,
    };
    Some(mime)
}

/// The MIME type of OpenAI `input_audio.format` (`wav`, `mp3`, ...).
pub(crate) fn audio_mime_type(format: &str) -> String {
    format!("audio/{}", format.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_base64_data_urls_only() {
        assert_eq!(
            parse_data_url("data:image/png;base64,AAAA"),
            Some(Ok(DataUrl {
                mime_type: "image/png",
                data: "AAAA"
            }))
        );
        assert_eq!(parse_data_url("https://x/y.png"), None);
        assert!(matches!(parse_data_url("data:text/plain,hi"), Some(Err(_))));
        assert!(matches!(parse_data_url("data:;base64,AA"), Some(Err(_))));
        assert!(matches!(parse_data_url("data:image/png"), Some(Err(_))));
    }

    #[test]
    fn guesses_from_extension_ignoring_query() {
        assert_eq!(
            guess_mime_type("https://a.b/c/photo.JPG?x=1#f"),
            Some("image/jpeg")
        );
        assert_eq!(
            guess_mime_type("gs://bucket/doc.pdf"),
            Some("application/pdf")
        );
        assert_eq!(guess_mime_type("https://a.b/c"), None);
        assert_eq!(guess_mime_type("https://a.b.c/file.xyz"), None);
        assert_eq!(audio_mime_type("WAV"), "audio/wav");
    }
}
