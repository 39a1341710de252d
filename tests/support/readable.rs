//! Whether the app reads from a metre away: the window at a given size, the Bench cards'
//! computed font sizes and icons, how many cards are fully in view, every visible text's contrast
//! against what is painted behind it (WCAG 2 ratios), and keys pressed as a person presses them.

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::Client;
use serde::Deserialize;

use crate::wait::Look;
use crate::webdriver::wait_for;

/// Resizes the window until the page's viewport is `width` × `height` CSS pixels.
pub async fn viewport(client: &Client, width: u32, height: u32) {
    wait_for(client, &format!("a {width}×{height} viewport"), || async {
        let (w, h) = inner_size(client).await?;
        if (w, h) == (width, height) {
            return Ok(());
        }
        // The window may add a frame around the page: ask for the difference too.
        let (ow, oh) = client
            .get_window_size()
            .await
            .map_err(|e| format!("no window size: {e}"))?;
        let frame = (
            ow.saturating_sub(u64::from(w)),
            oh.saturating_sub(u64::from(h)),
        );
        client
            .set_window_size(width + frame.0 as u32, height + frame.1 as u32)
            .await
            .map_err(|e| format!("the window refused {width}×{height}: {e}"))?;
        Err(format!("the viewport is {w}×{h}"))
    })
    .await
}

async fn inner_size(client: &Client) -> Look<(u32, u32)> {
    let v = client
        .execute("return [window.innerWidth, window.innerHeight];", vec![])
        .await
        .map_err(|e| format!("the size script failed: {e}"))?;
    let n = |i: usize| v[i].as_u64().unwrap_or(0) as u32;
    Ok((n(0), n(1)))
}

/// One Bench card as measured in the page.
#[derive(Debug, Clone, Deserialize)]
pub struct CardLook {
    /// `data-key`.
    pub key: String,
    /// The slot heading's text.
    pub slot_text: String,
    /// The computed font size of the slot number's digits (0 when the card has no number).
    pub slot_px: f64,
    /// The computed font size of the serial.
    pub serial_px: f64,
    /// The status word.
    pub status_word: String,
    /// Whether the status has an inline SVG icon.
    pub status_icon: bool,
    /// `data-tone` of the status.
    pub tone: String,
    /// Whether the whole card is inside the viewport and its scrolling container.
    pub fully_visible: bool,
}

/// The Bench screen as measured.
#[derive(Debug, Clone, Deserialize)]
pub struct BenchLook {
    /// Every card.
    pub cards: Vec<CardLook>,
    /// The Bench screen scrolls (its content is taller than its box).
    pub scrolls: bool,
}

impl BenchLook {
    /// How many cards are fully in view.
    pub fn fully_visible(&self) -> usize {
        self.cards.iter().filter(|c| c.fully_visible).count()
    }
}

const MEASURE: &str = r#"
const px = (el) => (el ? parseFloat(getComputedStyle(el).fontSize) : 0);
const bench = document.querySelector('.bench');
const box = bench.getBoundingClientRect();
const top = Math.max(0, box.top), bottom = Math.min(window.innerHeight, box.bottom);
const left = Math.max(0, box.left), right = Math.min(window.innerWidth, box.right);
const cards = [...document.querySelectorAll('#device-cards li.card')].map((c) => {
  const r = c.getBoundingClientRect();
  const status = c.querySelector('.status');
  return {
    key: c.dataset.key || '',
    slot_text: (c.querySelector('.slot-number')?.textContent || '').trim(),
    slot_px: px(c.querySelector('.slot-number .slot-digits')),
    serial_px: px(c.querySelector('.serial')),
    status_word: (status?.querySelector('.status-word')?.textContent || '').trim(),
    status_icon: !!status?.querySelector('svg'),
    tone: status?.dataset.tone || '',
    fully_visible: r.width > 0 && r.top >= top - 0.5 && r.bottom <= bottom + 0.5 && r.left >= left - 0.5 && r.right <= right + 0.5,
  };
});
return { cards, scrolls: bench.scrollHeight > bench.clientHeight + 1 };
"#;

/// Measures the Bench screen's cards.
pub async fn bench_look(client: &Client) -> Look<BenchLook> {
    let v = client
        .execute(MEASURE, vec![])
        .await
        .map_err(|e| format!("the measuring script failed: {e}"))?;
    serde_json::from_value(v).map_err(|e| format!("the measuring script said something odd: {e}"))
}

/// A text whose contrast is below what WCAG AA asks for its size.
#[derive(Debug, Clone, Deserialize)]
pub struct LowContrast {
    /// The text (its first characters).
    pub text: String,
    /// Its contrast ratio against what is painted behind it.
    pub ratio: f64,
    /// The ratio it needs (4.5, or 3 for large text).
    pub needs: f64,
    /// Its colour and the background found, as computed.
    pub colours: String,
    /// Where it is (tag and classes up the tree).
    pub path: String,
}

/// Checks every visible text node in the viewport (disabled controls aside) against the colour
/// painted behind it: the nearest ancestor's opaque background, translucent ones blended over
/// it, and the text's colour faded by the opacity of its ancestors.
const CONTRAST: &str = r#"
const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return [0,0,0,0]; const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
const over = (top, under) => { const a = top[3]; return [0,1,2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]); };
const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
const background = (el) => {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
  }
  let bg = [255, 255, 255, 1];
  for (const c of layers.reverse()) bg = over(c, bg);
  return bg;
};
const opacity = (el) => { let o = 1; for (let e = el; e; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity); return o; };
const out = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  if (!n.textContent.trim()) continue;
  const el = n.parentElement;
  if (!el || el.closest('[disabled], option, select, script, style')) continue;
  const s = getComputedStyle(el);
  if (s.visibility !== 'visible') continue;
  const range = document.createRange(); range.selectNodeContents(n);
  const r = range.getBoundingClientRect();
  if (r.width < 1 || r.height < 1 || r.bottom <= 0 || r.right <= 0 || r.top >= innerHeight || r.left >= innerWidth) continue;
  const bg = background(el);
  const fg = over([...parse(s.color).slice(0, 3), parse(s.color)[3] * opacity(el)], bg);
  const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight, 10) >= 700;
  const needs = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
  const got = ratio(fg, bg);
  if (got + 0.005 < needs) {
    const path = []; for (let e = el; e && e !== document.body; e = e.parentElement) path.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.classList.length ? '.' + [...e.classList].join('.') : ''));
    out.push({ text: n.textContent.trim().slice(0, 40), ratio: Math.round(got * 100) / 100, needs, colours: `${s.color} on rgb(${bg.slice(0,3).map(Math.round).join(', ')})`, path: path.slice(0, 4).join(' < ') });
  }
}
return out;
"#;

/// Every visible text below WCAG AA contrast.
pub async fn low_contrast(client: &Client) -> Vec<LowContrast> {
    let v = client
        .execute(CONTRAST, vec![])
        .await
        .expect("the contrast script runs");
    serde_json::from_value(v).expect("the contrast script's answer")
}

/// Presses `key` with Control held, as a person does (Ctrl +, Ctrl −, Ctrl 0).
pub async fn ctrl(client: &Client, key: char) {
    const CONTROL: char = '\u{e009}';
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: CONTROL })
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key })
        .then(KeyAction::Up { value: CONTROL });
    client.perform_actions(keys).await.expect("keys pressed");
}

/// Presses and releases one key (Escape: `'\u{e00c}'`).
pub async fn press(client: &Client, key: char) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    client.perform_actions(keys).await.expect("key pressed");
}

/// The Escape key.
pub const ESCAPE: char = '\u{e00c}';

/// The computed font size (CSS px) of the first element matching `css`.
pub async fn font_px(client: &Client, css: &str) -> Look<f64> {
    let v = client
        .execute(
            "const e = document.querySelector(arguments[0]); return e ? parseFloat(getComputedStyle(e).fontSize) : null;",
            vec![serde_json::json!(css)],
        )
        .await
        .map_err(|e| format!("the font script failed: {e}"))?;
    v.as_f64().ok_or_else(|| format!("no `{css}`"))
}
