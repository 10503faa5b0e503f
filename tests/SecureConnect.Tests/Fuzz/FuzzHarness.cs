using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace SecureConnect.Tests.Fuzz;

/// <summary>
/// One parser under fuzzing: how to feed it an input, which exceptions are its own clear failures (anything else that
/// escapes is a defect), how long an input may be, and the tokens its format is made of.
/// </summary>
internal sealed class FuzzTarget
{
    public FuzzTarget(string name, int defaultIterations, int maxLength, Action<byte[]> run, Func<Exception, bool> expected)
    {
        Name = name;
        DefaultIterations = defaultIterations;
        MaxLength = maxLength;
        Run = run;
        Expected = expected;
    }

    /// <summary>The folder name under corpus/ and regressions/.</summary>
    public string Name { get; }

    /// <summary>Iterations of a default run (sized so the whole fuzz class stays well under a minute on two cores).</summary>
    public int DefaultIterations { get; }

    /// <summary>The largest input the real caller would hand the parser (a mutation is cut to it).</summary>
    public int MaxLength { get; }

    /// <summary>Feeds one input through the parser (and through what callers do with its result).</summary>
    public Action<byte[]> Run { get; }

    /// <summary>True for an exception that is the parser's documented, clear failure.</summary>
    public Func<Exception, bool> Expected { get; }

    /// <summary>Tokens of the format, inserted and repeated by the mutator (as a fuzzing dictionary).</summary>
    public IReadOnlyList<string> Tokens { get; init; } = Array.Empty<string>();

    /// <summary>Tokens that open a nesting level (repeated thousands of times to try the parser's depth).</summary>
    public IReadOnlyList<string> Openers { get; init; } = Array.Empty<string>();

    /// <summary>The input holds base64 (key blobs, PEM bodies): also mutate the decoded bytes as SSH wire data.</summary>
    public bool Base64Payloads { get; init; }
}

/// <summary>What one run of a target found.</summary>
internal sealed class FuzzReport
{
    public string Target { get; init; } = string.Empty;

    public int Seed { get; init; }

    public int Executed { get; set; }

    public int Parsed { get; set; }

    public int Rejected { get; set; }

    public int SeedsParsed { get; set; }

    public int Regressions { get; set; }

    public TimeSpan Elapsed { get; set; }

    public TimeSpan Slowest { get; set; }

    public string SlowestInput { get; set; } = string.Empty;

    public List<string> Failures { get; } = new();

    public Dictionary<string, int> RejectedBy { get; } = new(StringComparer.Ordinal);

    public string Summary() => string.Format(
        CultureInfo.InvariantCulture,
        "{0}: seed {1}, {2} inputs ({3} regressions replayed) in {4:0.0} s: {5} parsed, {6} rejected with a clear error, {7} failures; slowest {9:0} ms ({10}); rejected by {8}",
        Target,
        Seed,
        Executed,
        Regressions,
        Elapsed.TotalSeconds,
        Parsed,
        Rejected,
        Failures.Count,
        string.Join(", ", RejectedBy.OrderByDescending(p => p.Value).Take(6).Select(p => p.Key + " " + p.Value)),
        Slowest.TotalMilliseconds,
        SlowestInput);
}

/// <summary>
/// A small deterministic fuzzer. It replays the kept regressions and the seed corpus of a target, then mutates the seeds
/// for a fixed number of iterations from a fixed seed (SECURECONNECT_FUZZ_ITERATIONS, SECURECONNECT_FUZZ_SECONDS and
/// SECURECONNECT_FUZZ_SEED change that for longer or different runs). Each input runs on a worker thread under a
/// watchdog (a hang detector, far above any real parse time, not a speed assertion). An input that throws anything but
/// the target's own clear exceptions, or that hangs, is a failure: it is written to the findings folder and reported
/// in base64, to be added to regressions/&lt;target&gt;/ once the parser is fixed.
/// </summary>
internal static class FuzzHarness
{
    public const int DefaultSeed = 16016;

    /// <summary>The hang detector: far beyond any parse of an input of at most MaxLength bytes.</summary>
    public static readonly TimeSpan Watchdog = TimeSpan.FromSeconds(20);

    private const int MaxFailuresKept = 10;

    public static string DataDirectory => Path.Combine(AppContext.BaseDirectory, "Fuzz");

    public static string FindingsDirectory =>
        Environment.GetEnvironmentVariable("SECURECONNECT_FUZZ_FINDINGS") is { Length: > 0 } dir
            ? dir
            : Path.Combine(AppContext.BaseDirectory, "fuzz-findings");

    public static int Seed => int.TryParse(Environment.GetEnvironmentVariable("SECURECONNECT_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed) ? seed : DefaultSeed;

    public static int Iterations(FuzzTarget target) =>
        int.TryParse(Environment.GetEnvironmentVariable("SECURECONNECT_FUZZ_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : target.DefaultIterations;

    /// <summary>A time budget for long runs (off by default, so a default run does the same inputs every time).</summary>
    public static TimeSpan? Budget =>
        double.TryParse(Environment.GetEnvironmentVariable("SECURECONNECT_FUZZ_SECONDS"), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0 ? TimeSpan.FromSeconds(s) : null;

    public static List<(string Name, byte[] Data)> Load(string kind, string target)
    {
        string dir = Path.Combine(DataDirectory, kind, target);
        if (!Directory.Exists(dir))
        {
            return new List<(string, byte[])>();
        }

        // Sorted by name so that the mutations are the same on every machine.
        return Directory.GetFiles(dir)
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal)
            .Select(f => (Path.GetFileName(f), File.ReadAllBytes(f)))
            .ToList();
    }

    public static FuzzReport Run(FuzzTarget target)
    {
        int seed = Seed ^ StableHash(target.Name);
        var report = new FuzzReport { Target = target.Name, Seed = Seed };
        List<(string Name, byte[] Data)> corpus = Load("corpus", target.Name);
        if (corpus.Count == 0)
        {
            throw new InvalidOperationException($"The fuzz target '{target.Name}' has no seed corpus in {Path.Combine(DataDirectory, "corpus", target.Name)}.");
        }

        var stopwatch = Stopwatch.StartNew();
        var worker = new Worker();
        bool hung = false;
        foreach ((string name, byte[] data) in Load("regressions", target.Name))
        {
            report.Regressions++;
            hung |= Execute(target, ref worker, data, "regression " + name, report) is null;
        }

        foreach ((string name, byte[] data) in corpus)
        {
            bool? parsed = Execute(target, ref worker, data, "seed " + name, report);
            hung |= parsed is null;
            if (parsed == true)
            {
                report.SeedsParsed++;
            }
        }

        var mutator = new Mutator(new Random(seed), corpus.Select(c => c.Data).ToList(), target);
        int iterations = Iterations(target);
        TimeSpan? budget = Budget;
        // After a hang the abandoned input keeps a core busy: the kept inputs still run (on a new worker) to report
        // every one that fails, but no mutations follow.
        for (int i = 0; !hung && (budget is { } b ? stopwatch.Elapsed < b : i < iterations); i++)
        {
            byte[] input = mutator.Next();
            hung |= Execute(target, ref worker, input, "iteration " + i.ToString(CultureInfo.InvariantCulture), report) is null;
            if (report.Failures.Count >= MaxFailuresKept)
            {
                break;
            }
        }

        report.Elapsed = stopwatch.Elapsed;
        worker.Dispose();
        if (!hung)
        {
            File.Delete(Path.Combine(FindingsDirectory, "in-flight-" + target.Name + ".bin"));
        }

        return report;
    }

    /// <summary>Appends the run's summary to fuzz-summary.txt in the findings folder (the counts of a long run to keep).</summary>
    public static void Record(FuzzReport report)
    {
        try
        {
            Directory.CreateDirectory(FindingsDirectory);
            File.AppendAllText(Path.Combine(FindingsDirectory, "fuzz-summary.txt"), DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture) + " " + report.Summary() + "\n");
        }
        catch (IOException)
        {
            // Only a record.
        }
    }

    /// <summary>Runs one input; true when it parsed, false when it failed or was rejected, null when it hung.</summary>
    private static bool? Execute(FuzzTarget target, ref Worker worker, byte[] input, string label, FuzzReport report)
    {
        report.Executed++;

        // A stack overflow ends the process before any report: the input in flight is left on disk to name the culprit.
        WriteInFlight(target, input);
        long started = Stopwatch.GetTimestamp();
        (bool finished, Exception? error) = worker.Run(() => target.Run(input), Watchdog);
        TimeSpan took = Stopwatch.GetElapsedTime(started);
        if (took > report.Slowest)
        {
            report.Slowest = took;
            report.SlowestInput = label;
        }
        if (!finished)
        {
            Fail(target, input, label, $"did not finish within {Watchdog.TotalSeconds:0} s (a hang)", report);
            worker = new Worker();
            return null;
        }

        if (error is null)
        {
            report.Parsed++;
            return true;
        }

        if (target.Expected(error))
        {
            report.Rejected++;
            string key = error is SecureConnect.Common.SecureConnectException sc ? sc.ErrorId
                : error is SecureConnect.Ssh.Keys.SshKeyException sk ? sk.ErrorId
                : error.GetType().Name;
            report.RejectedBy[key] = report.RejectedBy.GetValueOrDefault(key) + 1;
            return false;
        }

        Fail(target, input, label, "threw " + Describe(error), report);
        return false;
    }

    private static void WriteInFlight(FuzzTarget target, byte[] input)
    {
        try
        {
            Directory.CreateDirectory(FindingsDirectory);
            File.WriteAllBytes(Path.Combine(FindingsDirectory, "in-flight-" + target.Name + ".bin"), input);
        }
        catch (IOException)
        {
            // Only a diagnostic for a crash.
        }
    }

    private static void Fail(FuzzTarget target, byte[] input, string label, string what, FuzzReport report)
    {
        string file = Path.Combine(FindingsDirectory, target.Name, Convert.ToHexString(SHA256.HashData(input))[..16].ToLowerInvariant() + ".bin");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, input);
        }
        catch (IOException)
        {
            file = "(not written)";
        }

        string base64 = Convert.ToBase64String(input);
        report.Failures.Add($"{target.Name} {label} ({input.Length} bytes, saved as {file}) {what}\n  input (base64): {(base64.Length > 4000 ? base64[..4000] + "... (whole input in the file)" : base64)}");
    }

    private static string Describe(Exception error)
    {
        string[] stack = (error.StackTrace ?? string.Empty).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return $"{error.GetType().FullName}: {error.Message}\n    " + string.Join("\n    ", stack.Take(8).Select(l => l.Trim()));
    }

    /// <summary>FNV-1a: string.GetHashCode differs from process to process, and the seed of a target must not.</summary>
    internal static int StableHash(string text)
    {
        uint hash = 2166136261;
        foreach (char c in text)
        {
            hash = (hash ^ c) * 16777619;
        }

        return (int)hash;
    }

    /// <summary>
    /// One long-lived thread that runs inputs, so that the watchdog can give up on a hung input without a thread per
    /// input. A hung input leaves its thread behind (a background thread) and the run stops.
    /// </summary>
    private sealed class Worker : IDisposable
    {
        private readonly SemaphoreSlim _start = new(0);
        private readonly SemaphoreSlim _done = new(0);
        private readonly Thread _thread;
        private Action? _action;
        private Exception? _error;
        private volatile bool _stop;

        public Worker()
        {
            _thread = new Thread(Loop) { IsBackground = true, Name = "fuzz worker" };
            _thread.Start();
        }

        public bool Abandoned { get; private set; }

        public (bool Finished, Exception? Error) Run(Action action, TimeSpan watchdog)
        {
            if (Abandoned)
            {
                throw new InvalidOperationException("The worker hung on an earlier input.");
            }

            _action = action;
            _error = null;
            _start.Release();
            if (!_done.Wait(watchdog))
            {
                Abandoned = true;
                return (false, null);
            }

            return (true, _error);
        }

        public void Dispose()
        {
            if (!Abandoned)
            {
                _stop = true;
                _start.Release();
                _thread.Join();
                _start.Dispose();
                _done.Dispose();
            }
        }

        private void Loop()
        {
            while (true)
            {
                _start.Wait();
                if (_stop)
                {
                    return;
                }

                try
                {
                    _action!();
                }
                catch (Exception e)
                {
                    _error = e;
                }

                _done.Release();
            }
        }
    }
}
