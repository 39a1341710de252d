//! Looks at the app's Bench view that several stories share: which device cards it shows, and
//! what one card says.

use fantoccini::{Client, Locator};

use crate::wait::Look;
use crate::webdriver::{text_matching, text_of};

/// The serials of the Bench view's cards, sorted.
pub async fn serials_shown(client: &Client) -> Vec<String> {
    let mut out = Vec::new();
    for card in client
        .find_all(Locator::Css("#device-cards li.card"))
        .await
        .unwrap_or_default()
    {
        if let Ok(Some(s)) = card.attr("data-serial").await {
            out.push(s);
        }
    }
    out.sort();
    out
}

/// Look: the Bench view's cards are those of `serials` (sorted).
pub async fn serials_are(client: &Client, serials: &[String]) -> Look<Vec<String>> {
    let shown = serials_shown(client).await;
    if shown == serials {
        Ok(shown)
    } else {
        Err(format!("the Bench view's cards are {shown:?}"))
    }
}

/// The CSS selector of the card of the device with this serial.
pub fn card(serial: &str) -> String {
    format!("#device-cards li.card[data-serial='{serial}']")
}

/// The text of `inner` on `serial`'s card, if it is there.
pub async fn card_text(client: &Client, serial: &str, inner: &str) -> Option<String> {
    text_of(client, &format!("{} {inner}", card(serial))).await
}

/// Look: the text of `inner` on `serial`'s card, once `accept` takes it.
pub async fn on_card(
    client: &Client,
    serial: &str,
    inner: &str,
    accept: impl Fn(&str) -> bool,
) -> Look<String> {
    text_matching(client, &format!("{} {inner}", card(serial)), accept).await
}

/// The batch named on a card (its text node: WebDriver's visible text of a span cut with an
/// ellipsis comes back empty in WebKit).
pub async fn batch_on_card(client: &Client, serial: &str) -> Option<String> {
    client
        .find(Locator::Css(&format!("{} .batch-name", card(serial))))
        .await
        .ok()?
        .prop("textContent")
        .await
        .ok()?
}
