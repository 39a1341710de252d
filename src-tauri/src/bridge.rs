//! The one bridge from a core service's `watch` channel to the webview: every `*_watch` command
//! hands its receiver and the UI's Tauri channel to [`forward`].

use serde::Serialize;
use tauri::ipc::Channel;
use tokio::sync::watch;

/// Sends the value now, then every new one, until the view is gone (the channel refuses) or the
/// service is (the watch closes). Values that change faster than they are sent are skipped to
/// the newest: a view only ever needs the latest state. A value equal to the last one sent is
/// not sent again (a service that publishes the same state on a timer or a refresh costs the
/// page nothing: no message to parse, no view to re-render).
pub fn forward<T>(mut rx: watch::Receiver<T>, channel: Channel<T>)
where
    T: Serialize + Clone + PartialEq + Send + Sync + 'static,
{
    tauri::async_runtime::spawn(async move {
        let mut last: Option<T> = None;
        loop {
            let value = rx.borrow_and_update().clone();
            if last.as_ref() != Some(&value) {
                if channel.send(value.clone()).is_err() {
                    return;
                }
                last = Some(value);
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tauri::ipc::InvokeResponseBody;

    use super::*;

    #[test]
    fn the_value_now_then_each_change_until_the_view_is_gone() {
        let (tx, rx) = watch::channel(1u32);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (sink, (done_tx, done_rx)) = (seen.clone(), std::sync::mpsc::channel());
        let channel = Channel::new(move |body| {
            let InvokeResponseBody::Json(json) = body else {
                unreachable!("JSON")
            };
            let mut seen = sink.lock().unwrap();
            seen.push(json);
            let _ = done_tx.send(seen.len());
            if seen.len() == 2 {
                Err(tauri::Error::WebviewNotFound)
            } else {
                Ok(())
            }
        });
        forward(rx, channel);
        assert_eq!(done_rx.recv().unwrap(), 1);
        tx.send(2).unwrap();
        assert_eq!(done_rx.recv().unwrap(), 2);
        // The view refused the second value: the bridge stops and the receiver goes away.
        while tx.receiver_count() > 0 {
            std::thread::yield_now();
        }
        assert_eq!(*seen.lock().unwrap(), ["1", "2"]);
    }

    #[test]
    fn the_same_value_published_again_is_not_sent_again() {
        let (tx, rx) = watch::channel(1u32);
        let (sent_tx, sent_rx) = std::sync::mpsc::channel();
        let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
        let gate_rx = Mutex::new(gate_rx);
        let channel = Channel::new(move |body| {
            let InvokeResponseBody::Json(json) = body else {
                unreachable!("JSON")
            };
            let _ = sent_tx.send(json);
            // The first send waits until the test republished the value.
            let _ = gate_rx.lock().unwrap().recv();
            Ok(())
        });
        forward(rx, channel);
        assert_eq!(sent_rx.recv().unwrap(), "1");
        // The service publishes its unchanged state again (send_replace notifies), then ends.
        tx.send_replace(1);
        drop(tx);
        drop(gate_tx);
        // The bridge ends with the service and drops the channel: everything it sent is in.
        let rest: Vec<String> = sent_rx.iter().collect();
        assert!(rest.is_empty(), "the repeat was sent again: {rest:?}");
    }
}
