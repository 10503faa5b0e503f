using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace SecureConnect.Tests.Concurrency;

/// <summary>
/// The entry point of this test assembly (GenerateProgramFile is off in the project): run as
/// <c>dotnet SecureConnect.Tests.dll workload &lt;kind&gt; &lt;root&gt; &lt;first writer&gt; &lt;writers&gt; &lt;count&gt;</c> it is
/// a second OS process changing the same workspace as the test that started it. It says "ready", waits for a line
/// on stdin so both processes start together, runs its writers on threads, prints what it stored and exits 0, or
/// prints the failure on stderr and exits 1. Without arguments (the test runner) it does nothing.
/// </summary>
internal static class ConcurrencyChild
{
    public const string Verb = "workload";

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] != Verb)
        {
            return 0;
        }

        var kind = Enum.Parse<WorkloadKind>(args[1]);
        string root = args[2];
        int first = int.Parse(args[3], CultureInfo.InvariantCulture);
        int writers = int.Parse(args[4], CultureInfo.InvariantCulture);
        int count = int.Parse(args[5], CultureInfo.InvariantCulture);
        List<WorkspaceWorkload> workloads = Enumerable.Range(first, writers).Select(w => new WorkspaceWorkload(kind, root, w, count)).ToList();

        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        if (Console.In.ReadLine() is null)
        {
            return 2;
        }

        try
        {
            Task.WaitAll(workloads.Select(w => Task.Factory.StartNew(w.Run, TaskCreationOptions.LongRunning)).ToArray());
        }
        catch (AggregateException e)
        {
            foreach (Exception inner in e.InnerExceptions)
            {
                Console.Error.WriteLine(inner.ToString());
            }

            return 1;
        }

        foreach (string fingerprint in workloads.SelectMany(w => w.Rotated))
        {
            Console.Out.WriteLine("rotated " + fingerprint);
        }

        Console.Out.WriteLine("done");
        return 0;
    }

    /// <summary>Starts this assembly as a child process running writers [first, first + writers) of <paramref name="kind"/>.</summary>
    public static ChildProcess Start(WorkloadKind kind, string root, int first, int writers, int count)
    {
        string assembly = typeof(ConcurrencyChild).Assembly.Location;
        var psi = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { assembly, Verb, kind.ToString(), root, first.ToString(CultureInfo.InvariantCulture), writers.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(arg);
        }

        return new ChildProcess(Process.Start(psi) ?? throw new InvalidOperationException("The child process did not start."));
    }

    private static string DotnetHost()
    {
        // <dotnet root>/shared/Microsoft.NETCore.App/<version>/ -> <dotnet root>/dotnet
        string runtime = RuntimeEnvironment.GetRuntimeDirectory();
        string root = Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
        string host = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(host) ? host : "dotnet";
    }
}

/// <summary>A running <see cref="ConcurrencyChild"/>.</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;

    public ChildProcess(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>Waits (bounded, against a hang) until the child has loaded everything and waits for the start.</summary>
    public void WaitReady()
    {
        Task<string?> line = _process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(120)) || line.Result != "ready")
        {
            Kill();
            throw new InvalidOperationException($"The child process did not get ready (first line '{line.Result}'): {Stderr()}");
        }
    }

    public void Go()
    {
        _process.StandardInput.WriteLine("go");
        _process.StandardInput.Flush();
    }

    /// <summary>Waits for the child's exit (bounded, against a hang) and returns its exit code and output.</summary>
    public (int ExitCode, string Output, string Error) WaitForExit()
    {
        Task<string> output = _process.StandardOutput.ReadToEndAsync();
        if (!_process.WaitForExit(TimeSpan.FromSeconds(300)))
        {
            Kill();
            throw new TimeoutException("The child process hung: it did not finish its fixed count of operations within 300 s.");
        }

        _process.WaitForExit();
        return (_process.ExitCode, output.Result, Stderr());
    }

    private string Stderr() => _stderr.Wait(TimeSpan.FromSeconds(10)) ? _stderr.Result : "(no stderr)";

    private void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }
}
