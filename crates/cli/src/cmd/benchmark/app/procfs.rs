//! What Linux says about a process tree: each process's name, parent and CPU time
//! (`/proc/PID/stat`) and its proportional set size (`/proc/PID/smaps_rollup`), read as text and
//! parsed by pure functions (tested without a process).

use std::collections::BTreeMap;
use std::path::Path;

/// One line of `/proc/PID/stat`, the fields this benchmark needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// The command name (at most 15 bytes: `WebKitWebProces`).
    pub comm: String,
    /// The parent process.
    pub ppid: u32,
    /// User plus system CPU time, in clock ticks.
    pub cpu_ticks: u64,
}

/// Parses `/proc/PID/stat`. The name sits in parentheses and may hold spaces and parentheses
/// itself, so the fields are counted from the last `)`: state, ppid, then utime and stime as
/// the 12th and 13th fields after it.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_owned();
    let rest: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    let field = |i: usize| rest.get(i).and_then(|f| f.parse::<u64>().ok());
    Some(Stat {
        comm,
        ppid: u32::try_from(field(1)?).ok()?,
        cpu_ticks: field(11)?.checked_add(field(12)?)?,
    })
}

/// A process's memory from `/proc/PID/smaps_rollup`, KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Memory {
    /// Resident set size: every page it maps that is in memory.
    pub rss_kib: u64,
    /// Proportional set size: its own pages plus its share of each shared one (a library page
    /// mapped by four processes counts a quarter), so it moves with what else runs.
    pub pss_kib: u64,
    /// Pages no other process maps (`Private_Clean` + `Private_Dirty`): what ending it frees.
    pub private_kib: u64,
}

/// Parses `/proc/PID/smaps_rollup` (`None` without its `Rss:` and `Pss:` lines).
pub fn parse_rollup(smaps_rollup: &str) -> Option<Memory> {
    let kib = |name: &str| {
        smaps_rollup.lines().find_map(|line| {
            let value = line.strip_prefix(name)?.strip_prefix(':')?;
            let mut parts = value.split_whitespace();
            let kib: u64 = parts.next()?.parse().ok()?;
            (parts.next() == Some("kB")).then_some(kib)
        })
    };
    Some(Memory {
        rss_kib: kib("Rss")?,
        pss_kib: kib("Pss")?,
        private_kib: kib("Private_Clean").unwrap_or(0) + kib("Private_Dirty").unwrap_or(0),
    })
}

/// Percent of one core used by `ticks` of CPU time over `seconds` of wall time.
pub fn cpu_percent(ticks: u64, ticks_per_second: u64, seconds: f64) -> f64 {
    if seconds <= 0.0 || ticks_per_second == 0 {
        return 0.0;
    }
    // Tick counts over a benchmark's minutes stay far below 2^52: exact as f64.
    #[allow(clippy::cast_precision_loss)]
    let cpu_seconds = ticks as f64 / ticks_per_second as f64;
    cpu_seconds / seconds * 100.0
}

/// `root` and every process below it, from a `pid → parent` map, root first, then by pid.
pub fn descendants(root: u32, parents: &BTreeMap<u32, u32>) -> Vec<u32> {
    let mut tree = vec![root];
    let mut i = 0;
    while let Some(&pid) = tree.get(i) {
        tree.extend(
            parents
                .iter()
                .filter(|&(&child, &parent)| parent == pid && child != pid)
                .map(|(&child, _)| child),
        );
        i += 1;
    }
    tree
}

/// Every process's stat now (processes that end meanwhile are left out).
pub fn all_stats(proc_dir: &Path) -> BTreeMap<u32, Stat> {
    let Ok(entries) = std::fs::read_dir(proc_dir) else {
        return BTreeMap::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let pid: u32 = e.file_name().to_str()?.parse().ok()?;
            Some((pid, stat(proc_dir, pid)?))
        })
        .collect()
}

/// One process's stat, if it still runs.
pub fn stat(proc_dir: &Path, pid: u32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(proc_dir.join(pid.to_string()).join("stat")).ok()?)
}

/// One process's memory, if it still runs.
pub fn memory(proc_dir: &Path, pid: u32) -> Option<Memory> {
    let path = proc_dir.join(pid.to_string()).join("smaps_rollup");
    parse_rollup(&std::fs::read_to_string(path).ok()?)
}

/// The first process below `root` (or `root` itself) named `comm`.
pub fn find_below(proc_dir: &Path, root: u32, comm: &str) -> Option<u32> {
    let stats = all_stats(proc_dir);
    let parents = stats.iter().map(|(&pid, s)| (pid, s.ppid)).collect();
    descendants(root, &parents)
        .into_iter()
        .find(|pid| stats.get(pid).is_some_and(|s| s.comm == comm))
}

/// `root` and its processes now: pid and stat of each, root first.
pub fn tree(proc_dir: &Path, root: u32) -> Vec<(u32, Stat)> {
    let stats = all_stats(proc_dir);
    let parents = stats.iter().map(|(&pid, s)| (pid, s.ppid)).collect();
    descendants(root, &parents)
        .into_iter()
        .filter_map(|pid| Some((pid, stats.get(&pid)?.clone())))
        .collect()
}

/// Clock ticks per second of `/proc/PID/stat` times: the kernel reports them in `USER_HZ`,
/// which is 100 on every Linux architecture StageBench builds for (x86-64, arm64).
pub const TICKS_PER_SECOND: u64 = 100;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_counts_fields_after_the_last_parenthesis() {
        let line = "4242 (Web (Content) x) S 4200 4242 4200 0 -1 4194560 52310 0 12 0 1234 567 0 0 20 0 23 0 98765 1234567 8910 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";
        assert_eq!(
            parse_stat(line),
            Some(Stat {
                comm: "Web (Content) x".into(),
                ppid: 4200,
                cpu_ticks: 1234 + 567,
            })
        );
        assert_eq!(parse_stat("12 (short) S 1"), None, "too few fields");
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn the_rollup_gives_rss_pss_and_private_in_kib() {
        let rollup = "55d0c0a00000-7ffd4b1fe000 ---p 00000000 00:00 0                          [rollup]\nRss:              331520 kB\nPss:              298765 kB\nPss_Dirty:        200000 kB\nPss_Anon:         190000 kB\nShared_Clean:      40000 kB\nPrivate_Clean:     10000 kB\nPrivate_Dirty:    250000 kB\n";
        assert_eq!(
            parse_rollup(rollup),
            Some(Memory {
                rss_kib: 331_520,
                pss_kib: 298_765,
                private_kib: 260_000,
            }),
            "Pss_Dirty and Pss_Anon are not Pss"
        );
        assert_eq!(parse_rollup("Rss: 12 kB\n"), None, "no Pss");
        assert_eq!(parse_rollup("Rss: 12 kB\nPss: many kB\n"), None);
        assert_eq!(parse_rollup("Rss: 12 kB\nPss: 12 pages\n"), None);
    }

    #[test]
    fn cpu_percent_is_of_one_core() {
        assert!((cpu_percent(150, 100, 30.0) - 5.0).abs() < 1e-9);
        assert!(
            (cpu_percent(200, 100, 1.0) - 200.0).abs() < 1e-9,
            "two cores"
        );
        assert!(
            cpu_percent(5, 100, 0.0).abs() < 1e-9,
            "no window, no figure"
        );
    }

    #[test]
    fn descendants_walk_the_whole_tree_root_first() {
        let parents: BTreeMap<u32, u32> = [(10, 1), (11, 10), (12, 10), (13, 11), (20, 1), (1, 0)]
            .into_iter()
            .collect();
        assert_eq!(descendants(10, &parents), [10, 11, 12, 13]);
        assert_eq!(descendants(99, &parents), [99], "a leaf or a gone process");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_reads_as_itself() {
        let proc_dir = Path::new("/proc");
        let me = std::process::id();
        let stat = stat(proc_dir, me).expect("our own stat");
        assert_eq!(stat.ppid, std::os::unix::process::parent_id());
        let mine = memory(proc_dir, me).expect("our own memory");
        assert!(
            0 < mine.private_kib
                && mine.private_kib <= mine.pss_kib
                && mine.pss_kib <= mine.rss_kib,
            "{mine:?}"
        );
        assert_eq!(tree(proc_dir, me).first().map(|(pid, _)| *pid), Some(me));
    }
}
