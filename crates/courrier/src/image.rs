//! The département's logo, given to a letter's template: its format is read off its first bytes,
//! never off a file name or a declared type.

/// An image format a template can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatImage {
    Png,
    Jpeg,
    Svg,
}

impl FormatImage {
    pub const ALL: [FormatImage; 3] = [FormatImage::Png, FormatImage::Jpeg, FormatImage::Svg];

    pub fn code(self) -> &'static str {
        match self {
            FormatImage::Png => "png",
            FormatImage::Jpeg => "jpeg",
            FormatImage::Svg => "svg",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == s)
    }

    /// The media type, to serve the image.
    pub fn type_mime(self) -> &'static str {
        match self {
            FormatImage::Png => "image/png",
            FormatImage::Jpeg => "image/jpeg",
            FormatImage::Svg => "image/svg+xml",
        }
    }

    /// The virtual file a template reads (`image(donnees.logo)`).
    pub fn fichier(self) -> &'static str {
        match self {
            FormatImage::Png => "logo.png",
            FormatImage::Jpeg => "logo.jpg",
            FormatImage::Svg => "logo.svg",
        }
    }

    /// The format of these bytes, by their signature (an SVG by its `<svg` element near the start).
    pub fn detecter(octets: &[u8]) -> Option<Self> {
        if octets.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Some(FormatImage::Png);
        }
        if octets.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Some(FormatImage::Jpeg);
        }
        let debut = std::str::from_utf8(&octets[..octets.len().min(1024)]).ok()?;
        let debut = debut.trim_start_matches('\u{feff}').trim_start();
        (debut.starts_with('<') && debut.contains("<svg")).then_some(FormatImage::Svg)
    }
}

/// An image and its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub format: FormatImage,
    pub octets: Vec<u8>,
}
