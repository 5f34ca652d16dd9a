//! Sweeps on a real Slurm: this test starts `munged`, `slurmctld` and `slurmd` itself, everything
//! in one private folder (key, socket, `slurm.conf`, state, logs), points the clients at it with
//! `SLURM_CONF`, and stops exactly the processes it started.
//!
//! It needs Debian's `slurm-wlm`, `slurm-client` and `munge` and root (slurmd starts jobs as their
//! user), so it runs only when `P2PSIM_SLURM_TESTS=1`, which `.ci/run` sets after installing them;
//! the plain `cargo test` needs no Slurm.

#![allow(clippy::print_stderr, reason = "a skipped test says why")]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A one-node Slurm cluster of our own.
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
    daemons: Vec<(&'static str, Child)>,
}

/// A daemon or admin program: Debian puts them in /usr/sbin, which a user's PATH may lack.
fn sbin(name: &str) -> Command {
    let full = Path::new("/usr/sbin").join(name);
    Command::new(if full.exists() { full } else { PathBuf::from(name) })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn spawn(name: &'static str, cmd: &mut Command, dir: &Path) -> (&'static str, Child) {
    let log = std::fs::File::create(dir.join(format!("log/{name}.out"))).unwrap();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name} ({e}): install slurm-wlm, slurm-client and munge"));
    (name, child)
}

impl Cluster {
    fn start() -> Cluster {
        let dir = std::env::temp_dir().join(format!("p2psim-slurm-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["log", "state", "spool"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        // munged refuses a socket folder others can write, and clients need to reach the socket.
        let chmod = |mode: &str, p: &Path| assert!(Command::new("chmod").arg(mode).arg(p).status().unwrap().success());
        chmod("0711", &dir);
        let mut cluster = Cluster { conf: dir.join("slurm.conf"), dir: dir.clone(), daemons: Vec::new() };
        let key = dir.join("munge.key");
        let status = sbin("mungekey").arg("--create").arg("--keyfile").arg(&key).status();
        assert!(status.is_ok_and(|s| s.success()), "mungekey failed: install munge");
        let socket = dir.join("munge.sock");
        cluster.daemons.push(spawn(
            "munged",
            sbin("munged")
                .arg("--foreground")
                .arg("--force")
                .arg(format!("--key-file={}", key.display()))
                .arg(format!("--socket={}", socket.display()))
                .arg(format!("--pid-file={}", dir.join("munged.pid").display()))
                .arg(format!("--seed-file={}", dir.join("munged.seed").display()))
                .arg(format!("--log-file={}", dir.join("log/munged.log").display())),
            &dir,
        ));
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        let host = host.trim().split('.').next().unwrap().to_owned();
        let d = dir.display();
        let conf = format!(
            "ClusterName=p2psimtest\n\
             SlurmctldHost={host}(127.0.0.1)\n\
             SlurmUser=root\n\
             SlurmctldPort={ctld}\n\
             SlurmdPort={slurmd}\n\
             AuthType=auth/munge\n\
             CredType=cred/munge\n\
             AuthInfo=socket={socket}\n\
             StateSaveLocation={d}/state\n\
             SlurmdSpoolDir={d}/spool\n\
             SlurmctldPidFile={d}/slurmctld.pid\n\
             SlurmdPidFile={d}/slurmd.pid\n\
             SlurmctldLogFile={d}/log/slurmctld.log\n\
             SlurmdLogFile={d}/log/slurmd.log\n\
             ProctrackType=proctrack/linuxproc\n\
             TaskPlugin=task/none\n\
             SelectType=select/cons_tres\n\
             AccountingStorageType=accounting_storage/none\n\
             JobCompType=jobcomp/none\n\
             JobAcctGatherType=jobacct_gather/none\n\
             MpiDefault=none\n\
             MinJobAge=600\n\
             ReturnToService=2\n\
             NodeName=p2psimnode NodeAddr=127.0.0.1 NodeHostname={host} CPUs=2 State=UNKNOWN\n\
             PartitionName=test Nodes=p2psimnode Default=YES MaxTime=INFINITE State=UP\n",
            ctld = free_port(),
            slurmd = free_port(),
            socket = socket.display(),
        );
        std::fs::write(&cluster.conf, conf).unwrap();
        // munged is ready when its socket exists.
        cluster.wait_for("munged's socket", || socket.exists());
        let conf_path = cluster.conf.clone();
        cluster.daemons.push(spawn("slurmctld", sbin("slurmctld").arg("-D").env("SLURM_CONF", &conf_path), &dir));
        cluster.daemons.push(spawn(
            "slurmd",
            sbin("slurmd").arg("-D").arg("-N").arg("p2psimnode").env("SLURM_CONF", &conf_path),
            &dir,
        ));
        cluster.wait_for("the node to be idle", || {
            let out = cluster.cmd("sinfo").args(["--noheader", "--format=%t"]).output();
            out.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "idle")
        });
        cluster
    }

    fn wait_for(&self, what: &str, mut ready: impl FnMut() -> bool) {
        let start = Instant::now();
        while !ready() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "timed out waiting for {what}; logs in {}",
                self.dir.join("log").display()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// A command with the clients pointed at this cluster.
    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf);
        c
    }
}

impl Drop for Cluster {
    /// Stops exactly the daemons this test started, the job-running ones first.
    fn drop(&mut self) {
        for (_, child) in self.daemons.iter_mut().rev() {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
            let start = Instant::now();
            while child.try_wait().ok().flatten().is_none() {
                if start.elapsed() > Duration::from_secs(10) {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn sweep_file(dir: &Path) -> PathBuf {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/experiments/gossip.ron");
    let text = format!(
        "SweepSpec(\n  name: \"slurm-test\",\n  base: File({:?}),\n  parameters: [(name: \"fanout\", path: \
         \"/peer_types/0/services/1/1/PushGossip/fanout\", values: [1, 2, 3])],\n  seeds: 4,\n  metrics: \
         [\"delivery_ratio\"],\n)\n",
        base.canonicalize().unwrap()
    );
    let path = dir.join("sweep.ron");
    std::fs::write(&path, text).unwrap();
    path
}

fn read(p: PathBuf) -> String {
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn a_slurm_sweep_equals_a_local_one_reports_a_failed_task_and_resubmits_only_what_is_missing() {
    if std::env::var("P2PSIM_SLURM_TESTS").as_deref() != Ok("1") {
        eprintln!("skipped: set P2PSIM_SLURM_TESTS=1 (with Slurm and munge installed, as root) to run");
        return;
    }
    let cluster = Cluster::start();
    let work = cluster.dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let file = sweep_file(&work);
    let (local, remote) = (work.join("local"), work.join("slurm"));
    let p2psim = || cluster.cmd(env!("CARGO_BIN_EXE_p2psim"));

    let out = p2psim().arg("sweep").arg(&file).arg("--out").arg(&local).arg("--jobs").arg("2").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // One result cannot be written (a folder sits at its path): its task fails, the merge runs anyway
    // and reports that task, and the client says so. (The folder records this sweep, as one that
    // p2psim started would, so that it is not refused as somebody else's.)
    let sweep = p2psim::Sweep::load(&file, &p2psim::Protocols::new()).unwrap();
    std::fs::create_dir_all(remote.join("runs/p0001-s2.json")).unwrap();
    std::fs::write(remote.join(p2psim::SWEEP_FILE), sweep.spec.with_inline_base(&sweep.base).to_ron()).unwrap();
    let submit = || {
        p2psim()
            .arg("sweep")
            .arg(&file)
            .arg("--out")
            .arg(&remote)
            .args(["--slurm", "--wait", "--runs-per-task", "5"])
            .output()
            .unwrap()
    };
    let first = submit();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(!first.status.success(), "a failed task must fail the submission");
    assert!(stderr.contains("1 of 12 runs of slurm-test have no result"), "{stderr}");
    // Runs are packed five to a task in order: p0001-s2 is the seventh, in task 1.
    assert!(stderr.contains("task 1 of job") && stderr.contains("leaving p0001-s2"), "{stderr}");
    assert_eq!(read(remote.join("slurm/1/tasks.txt")).lines().count(), 3);
    assert!(!remote.join("runs.csv").exists(), "an incomplete sweep writes no tables");
    assert_eq!(std::fs::read_dir(remote.join("runs")).unwrap().count(), 12, "11 results and the obstacle");

    // Mended and submitted again: only the missing run goes, and the tables equal the local ones.
    std::fs::remove_dir(remote.join("runs/p0001-s2.json")).unwrap();
    let second = submit();
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    assert_eq!(read(remote.join("slurm/2/tasks.txt")), "p0001-s2\n");
    assert_eq!(read(remote.join("runs.csv")), read(local.join("runs.csv")));
    assert_eq!(read(remote.join("points.csv")), read(local.join("points.csv")));
    assert_eq!(read(remote.join("slurm/2/report")), "complete\n");

    // Nothing missing: nothing is submitted.
    let third = submit();
    assert!(third.status.success());
    assert!(!remote.join("slurm/3").exists());
}
