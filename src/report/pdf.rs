//! The report as PDF, made in-process: `pdf-writer` writes the file, the DejaVu Sans fonts
//! (embedded in the binary, `assets/fonts/`, licence beside them) are subset with `subsetter`
//! and measured with `ttf-parser`. A4, wrapped text, page numbers and the digest on every page.
//! Text is embedded with a ToUnicode map, so it can be searched, copied and parsed back.

use super::model::{status_word, verdict_word, Report};
use crate::checks::{Status, Verdict};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use std::collections::BTreeMap;

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 50.0;
const BOTTOM: f32 = 60.0;
const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN;

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the embedded font could not be read: {0}")]
    Font(String),
}

type Rgb = (f32, f32, f32);
const INK: Rgb = (0.12, 0.14, 0.16);
const MUTED: Rgb = (0.37, 0.39, 0.41);
const LINE: Rgb = (0.85, 0.86, 0.88);
const WHITE: Rgb = (1.0, 1.0, 1.0);

fn status_color(status: Status, confirmed: bool) -> Rgb {
    match status {
        Status::Pass => (0.11, 0.50, 0.23),
        Status::Unknown if confirmed => (0.11, 0.50, 0.23),
        Status::Warn => (0.60, 0.40, 0.0),
        Status::Fail => (0.78, 0.16, 0.16),
        Status::Unknown => (0.36, 0.37, 0.59),
        Status::Skipped => (0.55, 0.58, 0.62),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Face {
    Regular,
    Bold,
}

enum Item {
    Text {
        face: Face,
        size: f32,
        color: Rgb,
        x: f32,
        y: f32,
        text: String,
    },
    Rect {
        color: Rgb,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
    /// A clickable area opening a web address (the Setup page of a fix).
    Link {
        url: String,
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

struct Fonts {
    regular: ttf_parser::Face<'static>,
    bold: ttf_parser::Face<'static>,
}

impl Fonts {
    fn load() -> Result<Fonts, PdfError> {
        let parse = |data: &'static [u8]| {
            ttf_parser::Face::parse(data, 0).map_err(|e| PdfError::Font(e.to_string()))
        };
        Ok(Fonts {
            regular: parse(REGULAR)?,
            bold: parse(BOLD)?,
        })
    }

    fn face(&self, face: Face) -> &ttf_parser::Face<'static> {
        match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
        }
    }

    fn glyph(&self, face: Face, c: char) -> u16 {
        self.shown(face, c).0
    }

    /// The glyph that shows `c`, and the character it really shows: a character the font
    /// lacks (e.g. Chinese in DejaVu Sans) shows as '?', and reads back as '?', never as
    /// another character.
    fn shown(&self, face: Face, c: char) -> (u16, char) {
        let f = self.face(face);
        match f.glyph_index(c) {
            Some(g) => (g.0, c),
            None => (f.glyph_index('?').map(|g| g.0).unwrap_or(0), '?'),
        }
    }

    fn width(&self, face: Face, size: f32, text: &str) -> f32 {
        let f = self.face(face);
        let units: u32 = text
            .chars()
            .map(|c| {
                u32::from(
                    f.glyph_hor_advance(ttf_parser::GlyphId(self.glyph(face, c)))
                        .unwrap_or(0),
                )
            })
            .sum();
        units as f32 * size / f32::from(f.units_per_em())
    }
}

/// Lays text out on pages, top to bottom.
struct Layout {
    fonts: Fonts,
    pages: Vec<Vec<Item>>,
    y: f32,
}

impl Layout {
    fn new(fonts: Fonts) -> Layout {
        Layout {
            fonts,
            pages: vec![Vec::new()],
            y: PAGE_H - MARGIN,
        }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = PAGE_H - MARGIN;
    }

    /// Starts a new page unless `height` still fits.
    fn ensure(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.new_page();
        }
    }

    fn push(&mut self, item: Item) {
        if let Some(page) = self.pages.last_mut() {
            page.push(item);
        }
    }

    /// Splits text into lines no wider than `width` (long words are cut).
    fn wrap(&self, face: Face, size: f32, text: &str, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split(' ') {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if self.fonts.width(face, size, &candidate) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // A word wider than the line (a long URL, an API name): cut it after a
                // separator (`_`, `/`, `.`, `-`) where one fits, else where it must.
                let mut piece = String::new();
                for c in word.chars() {
                    piece.push(c);
                    if self.fonts.width(face, size, &piece) > width {
                        piece.pop();
                        let cut = piece
                            .char_indices()
                            .filter(|(_, ch)| matches!(ch, '_' | '/' | '.' | '-' | '?' | '&'))
                            .map(|(i, ch)| i + ch.len_utf8())
                            .rfind(|i| *i < piece.len());
                        match cut {
                            Some(at) => {
                                let rest = piece.split_off(at);
                                lines.push(std::mem::replace(&mut piece, rest));
                            }
                            None => lines.push(std::mem::take(&mut piece)),
                        }
                        piece.push(c);
                    }
                }
                line = piece;
            }
            lines.push(line);
        }
        lines
    }

    /// A wrapped paragraph at `x`, `width` wide.
    fn text(&mut self, face: Face, size: f32, color: Rgb, x: f32, width: f32, text: &str) {
        let leading = size * 1.35;
        for line in self.wrap(face, size, text, width) {
            self.ensure(leading);
            self.y -= leading;
            self.push(Item::Text {
                face,
                size,
                color,
                x,
                y: self.y + size * 0.25,
                text: line,
            });
        }
    }

    fn gap(&mut self, h: f32) {
        self.y -= h;
    }

    fn rule(&mut self) {
        self.push(Item::Rect {
            color: LINE,
            x: MARGIN,
            y: self.y,
            w: TEXT_W,
            h: 0.7,
        });
    }

    fn heading(&mut self, text: &str) {
        self.ensure(60.0);
        self.gap(12.0);
        self.text(Face::Bold, 13.0, INK, MARGIN, TEXT_W, text);
        self.gap(3.0);
        self.rule();
        self.gap(4.0);
    }

    /// A coloured label with white text; returns its width.
    fn chip(&mut self, x: f32, word: &str, color: Rgb) -> f32 {
        let size = 7.5;
        let w = self.fonts.width(Face::Bold, size, word) + 8.0;
        self.push(Item::Rect {
            color,
            x,
            y: self.y + 1.0,
            w,
            h: 11.0,
        });
        self.push(Item::Text {
            face: Face::Bold,
            size,
            color: WHITE,
            x: x + 4.0,
            y: self.y + 3.6,
            text: word.to_string(),
        });
        w
    }

    /// A key/value line whose value is a web address: clickable over its lines.
    fn link_fact(&mut self, key: &str, url: &str, indent: f32) {
        // Kept on one page, so one clickable rectangle covers it.
        let lines = self
            .wrap(Face::Regular, 9.5, url, TEXT_W - indent - 105.0)
            .len();
        self.ensure(13.0 * lines as f32);
        let page = self.pages.len();
        let top = self.y;
        self.fact(key, url, indent);
        if self.pages.len() == page {
            let x = MARGIN + indent + 105.0;
            self.push(Item::Link {
                url: url.to_string(),
                x,
                y: self.y,
                w: TEXT_W - indent - 105.0,
                h: top - self.y,
            });
        }
    }

    /// A key/value line: the key muted in a narrow column, the value wrapped beside it.
    fn fact(&mut self, key: &str, value: &str, indent: f32) {
        let key_w = 105.0;
        let lines = self.wrap(Face::Regular, 9.5, value, TEXT_W - indent - key_w);
        self.ensure(13.0 * lines.len().min(3) as f32);
        let mut first = true;
        for line in lines {
            self.ensure(13.0);
            self.y -= 13.0;
            if first {
                self.push(Item::Text {
                    face: Face::Regular,
                    size: 9.5,
                    color: MUTED,
                    x: MARGIN + indent,
                    y: self.y + 3.0,
                    text: key.to_string(),
                });
                first = false;
            }
            self.push(Item::Text {
                face: Face::Regular,
                size: 9.5,
                color: INK,
                x: MARGIN + indent + key_w,
                y: self.y + 3.0,
                text: line,
            });
        }
    }

    /// A table row: each cell wrapped in its column; returns nothing, moves down by the tallest.
    fn row(&mut self, cells: &[(&str, f32)], face: Face, color: Rgb) {
        let size = 9.0;
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .map(|(text, w)| self.wrap(face, size, text, w - 6.0))
            .collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let height = lines as f32 * 12.0 + 4.0;
        self.ensure(height);
        let top = self.y;
        let mut x = MARGIN;
        for ((_, w), cell) in cells.iter().zip(&wrapped) {
            for (i, line) in cell.iter().enumerate() {
                self.push(Item::Text {
                    face,
                    size,
                    color,
                    x,
                    y: top - 12.0 * (i as f32 + 1.0) + 3.0,
                    text: line.clone(),
                });
            }
            x += w;
        }
        self.y = top - height;
        self.rule();
    }
}

#[allow(clippy::too_many_lines)] // the report top to bottom, one section after another
fn lay_out(report: &Report, fonts: Fonts) -> Layout {
    let mut l = Layout::new(fonts);
    let org = &report.org;
    let run = &report.run;
    l.text(Face::Bold, 18.0, INK, MARGIN, TEXT_W, &report.title);
    l.text(
        Face::Regular,
        9.5,
        MUTED,
        MARGIN,
        TEXT_W,
        &format!(
            "Made {} by writeback-setup {}",
            report.generated_at, report.app_version
        ),
    );
    l.gap(8.0);
    // The verdict banner: a coloured bar and the sentence beside it.
    let color = match report.verdict {
        Verdict::Ready | Verdict::ReadyWithConfirmations => status_color(Status::Pass, false),
        Verdict::NotReady => status_color(Status::Fail, false),
        Verdict::Incomplete => status_color(Status::Unknown, false),
    };
    let verdict_lines = l.wrap(Face::Regular, 11.0, &report.verdict_text, TEXT_W - 20.0);
    let banner_h = 20.0 + 15.0 * verdict_lines.len() as f32;
    l.push(Item::Rect {
        color,
        x: MARGIN,
        y: l.y - banner_h,
        w: 5.0,
        h: banner_h,
    });
    l.text(
        Face::Bold,
        12.0,
        color,
        MARGIN + 14.0,
        TEXT_W - 20.0,
        verdict_word(report.verdict),
    );
    l.text(
        Face::Regular,
        11.0,
        INK,
        MARGIN + 14.0,
        TEXT_W - 20.0,
        &report.verdict_text,
    );
    l.gap(10.0);
    if report.simulated {
        l.text(
            Face::Bold,
            11.0,
            status_color(Status::Warn, false),
            MARGIN,
            TEXT_W,
            super::SIMULATED_NOTE,
        );
        l.gap(4.0);
    }
    if report.redacted {
        l.text(
            Face::Bold,
            9.5,
            status_color(Status::Warn, false),
            MARGIN,
            TEXT_W,
            "Redacted: usernames, emails and record values are hidden.",
        );
        l.gap(4.0);
    }
    l.fact("Org", &format!("{} ({})", org.name, org.id), 0.0);
    l.fact(
        "Edition",
        &format!("{}, {}", org.edition, org.environment.word()),
        0.0,
    );
    let domain = org
        .my_domain
        .as_deref()
        .map(|d| format!(", My Domain {d}"))
        .unwrap_or_default();
    l.fact(
        "Instance",
        &format!("{} {}{domain}", org.instance, org.instance_url),
        0.0,
    );
    l.fact("Checked as", &run.logged_in_as, 0.0);
    l.fact(
        "Integration user",
        run.integration_user.as_deref().unwrap_or("(none)"),
        0.0,
    );
    if let Some(p) = &run.prepared_by {
        l.fact("Prepared by", p, 0.0);
    }
    l.fact(
        "Profile",
        &format!(
            "{} ({}), on {}",
            report.profile.title, report.profile.id, report.profile.object
        ),
        0.0,
    );
    let usage = run
        .org_api_usage
        .map(|u| format!("; org API use today {} of {}", u.used, u.max))
        .unwrap_or_default();
    l.fact(
        "API",
        &format!(
            "version {}, {} API calls in {} requests{usage}",
            run.api_version, run.api_calls, run.round_trips
        ),
        0.0,
    );
    if !run.candidates.is_empty() {
        l.fact("Possible users", &run.candidates.join(", "), 0.0);
    }

    if !report.open_items.is_empty() {
        l.heading("Open items");
        for item in &report.open_items {
            let who = format!(
                "{}{}:",
                item.who.label(),
                if item.advisory { " (advice)" } else { "" }
            );
            l.fact(&who, &report.open_item_text(item), 0.0);
            l.gap(2.0);
        }
    }

    l.heading(&format!("Fields on {}", report.profile.object));
    // API names are long single words: their column is the widest.
    let cols = [150.0, 230.0, TEXT_W - 380.0];
    l.row(
        &[("Field", cols[0]), ("API name", cols[1]), ("Type", cols[2])],
        Face::Bold,
        MUTED,
    );
    for f in &report.profile.fields {
        let kind = format!(
            "{}{}",
            f.type_label,
            f.length.map(|n| format!(" ({n})")).unwrap_or_default()
        );
        l.row(
            &[
                (&f.label, cols[0]),
                (&f.api_name, cols[1]),
                (&kind, cols[2]),
            ],
            Face::Regular,
            INK,
        );
    }

    for step in &report.steps {
        l.heading(&format!("{}: {}", step.title, step.status.word()));
        for c in &step.checks {
            l.ensure(40.0);
            l.y -= 15.0;
            let word = status_word(c.status, c.confirmed.is_some()).to_uppercase();
            l.chip(MARGIN, &word, status_color(c.status, c.confirmed.is_some()));
            let title_x = MARGIN + 70.0;
            let title_lines = l.wrap(Face::Bold, 10.0, &c.title, TEXT_W - 70.0);
            l.y += 15.0;
            l.y -= 2.0;
            // The title beside the chip, then the id.
            let start = l.y;
            l.text(
                Face::Bold,
                10.0,
                INK,
                title_x,
                TEXT_W - 70.0,
                &title_lines.join(" "),
            );
            if l.y > start - 13.0 {
                l.y = start - 13.0;
            }
            l.text(Face::Regular, 8.0, MUTED, title_x, TEXT_W - 70.0, &c.id);
            if c.status != Status::Pass && !c.seen.is_empty() {
                l.fact("Seen", &c.seen, 70.0);
            }
            if !c.granted_by.is_empty() {
                l.fact("Granted by", &c.granted_by.join("; "), 70.0);
            }
            if let Some(fix) = &c.fix {
                l.fact("Fix", fix, 70.0);
                match &c.setup_url {
                    // A report read from a file could carry any address: only web ones link.
                    Some(url) if super::model::is_web_url(url) => l.link_fact("Setup", url, 70.0),
                    Some(url) => l.fact("Setup", url, 70.0),
                    None => {}
                }
            }
            if let Some(m) = &c.confirmed {
                l.fact("Confirmed", &format!("by a person: {}", m.note), 70.0);
            }
            l.gap(6.0);
        }
    }

    if !report.manual_confirmations.is_empty() {
        l.heading("Confirmed by a person");
        for m in &report.manual_confirmations {
            let note = if m.note.is_empty() {
                "(no note)"
            } else {
                &m.note
            };
            l.fact(&m.check_id, &format!("{}: {note}", m.title), 0.0);
        }
    }

    if let Some(t) = &report.test_write {
        l.heading("Test write-back evidence");
        l.text(
            Face::Regular,
            9.5,
            INK,
            MARGIN,
            TEXT_W,
            &format!(
                "{} {}{}: {}",
                t.object,
                t.record_id,
                t.record_name
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default(),
                t.outcome
            ),
        );
        l.gap(4.0);
        let w = TEXT_W / 4.0;
        l.row(
            &[("Field", w), ("Before", w), ("Written", w), ("Restored", w)],
            Face::Bold,
            MUTED,
        );
        let none = "(none)".to_string();
        for f in &t.fields {
            l.row(
                &[
                    (&f.api_name, w),
                    (f.before.as_ref().unwrap_or(&none), w),
                    (f.written.as_ref().unwrap_or(&none), w),
                    (f.restored.as_ref().unwrap_or(&none), w),
                ],
                Face::Regular,
                INK,
            );
        }
        let restored = match (&t.restored_at, t.restored) {
            (Some(at), true) => format!("yes, {at}"),
            (_, true) => "yes".to_string(),
            (_, false) => "NO".to_string(),
        };
        l.gap(4.0);
        l.text(
            Face::Regular,
            9.5,
            INK,
            MARGIN,
            TEXT_W,
            &format!(
                "Written {}{}. Restored: {restored}.",
                t.written_at,
                t.written_as
                    .as_deref()
                    .map(|u| format!(" as {u}"))
                    .unwrap_or_default()
            ),
        );
    }

    l.gap(14.0);
    l.text(
        Face::Regular,
        8.5,
        MUTED,
        MARGIN,
        TEXT_W,
        &format!("SHA-256 of the canonical JSON: {}", report.digest()),
    );
    // The footer of every page: where it came from and the page number.
    let total = l.pages.len();
    let short = report.digest().chars().take(16).collect::<String>();
    // The footer is one line: a long org name is shortened there (it is whole on page 1).
    let org_name = if org.name.chars().count() > 48 {
        format!("{}…", org.name.chars().take(47).collect::<String>())
    } else {
        org.name.clone()
    };
    for (i, page) in l.pages.iter_mut().enumerate() {
        page.push(Item::Text {
            face: Face::Regular,
            size: 7.5,
            color: MUTED,
            x: MARGIN,
            y: 30.0,
            text: format!(
                "{org_name} · {} · SHA-256 {short}… · page {} of {total}",
                report.generated_at,
                i + 1
            ),
        });
    }
    l
}

/// A subset font ready to embed: old glyph id -> new, and the char each new glyph shows.
struct Subset {
    remapper: subsetter::GlyphRemapper,
    chars: BTreeMap<u16, char>,
}

impl Subset {
    fn new() -> Subset {
        Subset {
            remapper: subsetter::GlyphRemapper::new(),
            chars: BTreeMap::new(),
        }
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

/// Renders the report as PDF bytes.
pub fn render(report: &Report) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::load()?;
    let layout = lay_out(report, fonts);
    let fonts = &layout.fonts;

    // Glyphs in use, per face, so each font is subset to what the report shows.
    let mut subsets = [Subset::new(), Subset::new()];
    let index = |face: Face| match face {
        Face::Regular => 0,
        Face::Bold => 1,
    };
    let mut pages_gids: Vec<Vec<Vec<u8>>> = Vec::new();
    for page in &layout.pages {
        let mut runs = Vec::new();
        for item in page {
            if let Item::Text { face, text, .. } = item {
                let subset = &mut subsets[index(*face)];
                let mut bytes = Vec::with_capacity(text.len() * 2);
                for c in text.chars() {
                    let (glyph, shown) = fonts.shown(*face, c);
                    let new = subset.remapper.remap(glyph);
                    subset.chars.entry(new).or_insert(shown);
                    bytes.extend_from_slice(&new.to_be_bytes());
                }
                runs.push(bytes);
            }
        }
        pages_gids.push(runs);
    }

    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog_id = alloc();
    let tree_id = alloc();
    let info_id = alloc();
    let font_ids: Vec<(Ref, Ref, Ref, Ref, Ref)> = (0..2)
        .map(|_| (alloc(), alloc(), alloc(), alloc(), alloc()))
        .collect();
    let page_ids: Vec<(Ref, Ref)> = layout.pages.iter().map(|_| (alloc(), alloc())).collect();
    let link_ids: Vec<Vec<Ref>> = layout
        .pages
        .iter()
        .map(|page| {
            page.iter()
                .filter(|i| matches!(i, Item::Link { .. }))
                .map(|_| alloc())
                .collect()
        })
        .collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().map(|(p, _)| *p))
        .count(page_ids.len() as i32);
    let mut info = pdf.document_info(info_id);
    info.title(TextStr(&report.title));
    info.creator(TextStr("writeback-setup"));
    info.producer(TextStr(&format!("writeback-setup {}", report.app_version)));
    info.finish();

    let names: [&[u8]; 2] = [b"F1", b"F2"];
    let base_names: [&[u8]; 2] = [b"AAAAAA+DejaVuSans", b"AAAAAB+DejaVuSans-Bold"];
    for (i, (face, data)) in [(Face::Regular, REGULAR), (Face::Bold, BOLD)]
        .into_iter()
        .enumerate()
    {
        let (type0_id, cid_id, descriptor_id, file_id, cmap_id) = font_ids[i];
        let subset = &subsets[i];
        let ttf = fonts.face(face);
        let em = f32::from(ttf.units_per_em());
        let scale = |v: i16| f32::from(v) * 1000.0 / em;
        let font_file = subsetter::subset(data, 0, &subset.remapper)
            .map_err(|e| PdfError::Font(e.to_string()))?;
        let widths: Vec<f32> = subset
            .remapper
            .remapped_gids()
            .map(|old| {
                f32::from(ttf.glyph_hor_advance(ttf_parser::GlyphId(old)).unwrap_or(0)) * 1000.0
                    / em
            })
            .collect();
        let base = Name(base_names[i]);
        pdf.type0_font(type0_id)
            .base_font(base)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid_id)
            .to_unicode(cmap_id);
        let system_info = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        let mut cid = pdf.cid_font(cid_id);
        cid.subtype(CidFontType::Type2)
            .base_font(base)
            .system_info(system_info)
            .font_descriptor(descriptor_id)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        cid.widths().consecutive(0, widths);
        cid.finish();
        let bbox = ttf.global_bounding_box();
        let flags = if face == Face::Bold {
            FontFlags::NON_SYMBOLIC | FontFlags::FORCE_BOLD
        } else {
            FontFlags::NON_SYMBOLIC
        };
        pdf.font_descriptor(descriptor_id)
            .name(base)
            .flags(flags)
            .bbox(Rect::new(
                scale(bbox.x_min),
                scale(bbox.y_min),
                scale(bbox.x_max),
                scale(bbox.y_max),
            ))
            .italic_angle(0.0)
            .ascent(scale(ttf.ascender()))
            .descent(scale(ttf.descender()))
            .cap_height(scale(ttf.capital_height().unwrap_or(ttf.ascender())))
            .stem_v(if face == Face::Bold { 120.0 } else { 80.0 })
            .font_file2(file_id);
        let compressed = deflate(&font_file);
        pdf.stream(file_id, &compressed)
            .filter(Filter::FlateDecode)
            .pair(Name(b"Length1"), font_file.len() as i32);
        let mut cmap = UnicodeCmap::new(Name(b"Custom"), system_info);
        for (gid, c) in &subset.chars {
            cmap.pair(*gid, *c);
        }
        pdf.cmap(cmap_id, &cmap.finish());
    }

    for (((page_id, content_id), (items, runs)), links) in page_ids
        .iter()
        .zip(layout.pages.iter().zip(pages_gids.iter()))
        .zip(link_ids.iter())
    {
        let mut link_id = links.iter();
        for item in items {
            let Item::Link { url, x, y, w, h } = item else {
                continue;
            };
            if let Some(id) = link_id.next() {
                let mut annotation = pdf.annotation(*id);
                annotation
                    .subtype(pdf_writer::types::AnnotationType::Link)
                    .rect(Rect::new(*x, *y, x + w, y + h))
                    .border(0.0, 0.0, 0.0, None);
                annotation
                    .action()
                    .action_type(pdf_writer::types::ActionType::Uri)
                    .uri(Str(url.as_bytes()));
                annotation.finish();
            }
        }
        let mut content = Content::new();
        let mut run = runs.iter();
        for item in items {
            match item {
                Item::Rect { color, x, y, w, h } => {
                    content.set_fill_rgb(color.0, color.1, color.2);
                    content.rect(*x, *y, *w, *h);
                    content.fill_nonzero();
                }
                Item::Link { .. } => {}
                Item::Text {
                    face,
                    size,
                    color,
                    x,
                    y,
                    ..
                } => {
                    let bytes = run.next().map(Vec::as_slice).unwrap_or_default();
                    content.begin_text();
                    content.set_fill_rgb(color.0, color.1, color.2);
                    content.set_font(Name(names[index(*face)]), *size);
                    content.next_line(*x, *y);
                    content.show(Str(bytes));
                    content.end_text();
                }
            }
        }
        let data = deflate(&content.finish());
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .parent(tree_id)
            .contents(*content_id);
        if !links.is_empty() {
            page.annotations(links.iter().copied());
        }
        let mut resources = page.resources();
        let mut fonts_dict = resources.fonts();
        fonts_dict.pair(Name(b"F1"), font_ids[0].0);
        fonts_dict.pair(Name(b"F2"), font_ids[1].0);
        fonts_dict.finish();
        resources.finish();
        page.finish();
        pdf.stream(*content_id, &data).filter(Filter::FlateDecode);
    }
    Ok(pdf.finish())
}
