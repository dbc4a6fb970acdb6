//! What the report says about the machine and the build, read from /proc and git.

use std::path::Path;
use std::process::Command;

/// Facts that make figures comparable (or explain why they are not).
pub struct Machine {
    pub date: String,
    pub git_rev: String,
    pub cpu_model: String,
    pub nproc: usize,
    pub memory: String,
    pub kernel: String,
    pub rustc: String,
    pub load_before: String,
}

impl Machine {
    /// Reads everything now; any fact that cannot be read is `unknown`.
    pub fn read(repo: &Path) -> Machine {
        Machine {
            date: chrono::Utc::now()
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string(),
            git_rev: git_rev(repo),
            cpu_model: proc_field("/proc/cpuinfo", "model name").unwrap_or_else(unknown),
            nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory: proc_field("/proc/meminfo", "MemTotal")
                .and_then(|kb| kb.trim_end_matches(" kB").trim().parse::<u64>().ok())
                .map(|kb| format!("{:.1} GiB", kb as f64 / 1024.0 / 1024.0))
                .unwrap_or_else(unknown),
            kernel: read_trimmed("/proc/sys/kernel/osrelease")
                .map(|release| format!("Linux {release}"))
                .unwrap_or_else(|| std::env::consts::OS.to_owned()),
            rustc: output(Command::new("rustc").arg("--version")).unwrap_or_else(unknown),
            load_before: load_average(),
        }
    }
}

impl Machine {
    /// The report's "Machine" section: these facts, the `extra` rows (server, file system,
    /// ...), and the load average before and after (`load_after`).
    pub fn section(&self, extra: &[(&str, String)], load_after: &str) -> String {
        let mut rows = vec![
            ("date", self.date.clone()),
            ("git rev", self.git_rev.clone()),
            ("CPU", self.cpu_model.clone()),
            ("nproc", self.nproc.to_string()),
            ("memory", self.memory.clone()),
            ("OS", self.kernel.clone()),
            ("rustc", self.rustc.clone()),
        ];
        rows.extend(extra.iter().cloned());
        rows.push((
            "load average (1/5/15 min) before / after",
            format!("{} / {load_after}", self.load_before),
        ));
        let mut md = String::from("\n## Machine\n\n| | |\n|---|---|\n");
        for (key, value) in rows {
            md.push_str(&format!("| {key} | {value} |\n"));
        }
        md
    }
}

fn unknown() -> String {
    "unknown".to_owned()
}

fn read_trimmed(file: &str) -> Option<String> {
    std::fs::read_to_string(file)
        .ok()
        .map(|text| text.trim().to_owned())
}

/// The first `name : value` line of a /proc file.
fn proc_field(file: &str, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == name).then(|| value.trim().to_owned())
    })
}

fn output(command: &mut Command) -> Option<String> {
    let out = command.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|text| !text.is_empty())
}

/// `abc123def456`, plus a note when tracked files have uncommitted changes.
fn git_rev(repo: &Path) -> String {
    let Some(rev) = output(
        Command::new("git")
            .args(["rev-parse", "--short=12", "HEAD"])
            .current_dir(repo),
    ) else {
        return unknown();
    };
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .current_dir(repo)
        .output()
        .is_ok_and(|out| !out.stdout.is_empty());
    if dirty {
        format!("{rev} (with uncommitted changes)")
    } else {
        rev
    }
}

/// The 1, 5 and 15 minute load averages: other work on the machine skews the figures.
pub fn load_average() -> String {
    read_trimmed("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(unknown)
}

/// The file system a directory lives on, from /proc/self/mounts: `ext4 (/dev/vda on /)`.
pub fn file_system(dir: &Path) -> String {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") else {
        return unknown();
    };
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let device = fields.next()?;
            let mount_point = fields.next()?.replace("\\040", " ");
            let kind = fields.next()?;
            dir.starts_with(&mount_point).then(|| {
                (
                    mount_point.len(),
                    format!("{kind} ({device} on {mount_point})"),
                )
            })
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, text)| text)
        .unwrap_or_else(unknown)
}
