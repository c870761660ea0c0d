//! Safe file names and the type of a file read from its content; pure.

use super::Preview;

const NAME_MAX_CHARS: usize = 120;

/// A name safe to store and to send back in a header: the last path component only (so
/// `../../x` is `x`), no control characters, quotes or characters file systems reserve,
/// no leading dots, at most 120 characters keeping the extension; `file` when nothing is
/// left.
pub fn safe_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_owned();
    if cleaned.is_empty() {
        return "file".to_owned();
    }
    if cleaned.chars().count() <= NAME_MAX_CHARS {
        return cleaned;
    }
    let (stem, extension) = match cleaned.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && ext.chars().count() <= 10 => (stem, Some(ext)),
        _ => (cleaned.as_str(), None),
    };
    let keep = NAME_MAX_CHARS - extension.map_or(0, |e| e.chars().count() + 1);
    let stem: String = stem.chars().take(keep).collect();
    match extension {
        Some(ext) => format!("{stem}.{ext}"),
        None => stem,
    }
}

/// The MIME type read from the first bytes (never from the name) and whether the page may
/// preview it: only PNG, JPEG, GIF, WebP and PDF; markup (HTML, SVG) never is.
pub fn sniff(bytes: &[u8]) -> (String, Preview) {
    match infer::get(bytes) {
        Some(kind) => {
            let mime = kind.mime_type();
            let preview = match mime {
                "image/png" | "image/jpeg" | "image/gif" | "image/webp" => Preview::Image,
                "application/pdf" => Preview::Pdf,
                _ => Preview::None,
            };
            (mime.to_owned(), preview)
        }
        None => ("application/octet-stream".to_owned(), Preview::None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_paths_and_dangerous_characters() {
        assert_eq!(safe_file_name("../../x"), "x");
        assert_eq!(safe_file_name("..\\..\\windows\\win.ini"), "win.ini");
        assert_eq!(safe_file_name("\"><img src=x>.pdf"), "img src=x.pdf");
        assert_eq!(safe_file_name("..."), "file");
        assert_eq!(safe_file_name(".htaccess"), "htaccess");
        let long = format!("{}.pdf", "a".repeat(300));
        let kept = safe_file_name(&long);
        assert_eq!(kept.chars().count(), 120);
        assert!(kept.ends_with(".pdf"));
    }

    #[test]
    fn the_type_comes_from_the_content_not_the_name() {
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];
        assert_eq!(sniff(&png), ("image/png".to_owned(), Preview::Image));
        assert_eq!(
            sniff(b"%PDF-1.7\n"),
            ("application/pdf".to_owned(), Preview::Pdf)
        );
        // Recognised or not, markup is never previewable (downloads are attachments).
        let html = b"<html><script>alert(1)</script></html>";
        assert_eq!(sniff(html).1, Preview::None);
        assert_eq!(sniff(b"plain words").0, "application/octet-stream");
        let svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>";
        assert_eq!(sniff(svg).1, Preview::None);
    }
}
