using System;
using System.Diagnostics;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

namespace SecureConnect.Common;

/// <summary>
/// Write-Progress for the waits of one cmdlet invocation: connecting (each SSH hop, the database), fetching a host key,
/// running a query until its first row. PowerShell accepts progress only from the pipeline thread, so nothing here is
/// a callback: the service hands the task it would block on to <see cref="Wait{T}(Task{T}, string)"/>, and when that
/// runs on the pipeline thread of a cmdlet that began a reporter, the thread polls the task and writes the progress
/// itself. On any other thread (a tunnel's supervisor, a relay) it simply blocks, as GetAwaiter().GetResult() does.
/// A wait shows only once it has lasted about a second, and nothing is written at all under
/// $ProgressPreference = 'SilentlyContinue' (or 'Ignore').
/// </summary>
internal sealed class ProgressReporter : IDisposable
{
    /// <summary>The activity id of these records (Export-SecureQuery's own progress uses another).</summary>
    internal const int ActivityId = 0x5ec1;

    private static readonly TimeSpan s_showAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(100);

    [ThreadStatic]
    private static ProgressReporter? t_current;

    private readonly Cmdlet _cmdlet;
    private readonly string _activity;
    private readonly bool _enabled;
    private readonly ProgressReporter? _previous;
    private bool _shown;
    private bool _disposed;

    private ProgressReporter(Cmdlet cmdlet, string activity, bool enabled)
    {
        _cmdlet = cmdlet;
        _activity = activity;
        _enabled = enabled;
        _previous = t_current;
        t_current = this;
    }

    /// <summary>Starts reporting the waits of <paramref name="cmdlet"/> on this (its pipeline) thread until disposed.</summary>
    public static ProgressReporter Begin(PSCmdlet cmdlet, string activity) => new(cmdlet, activity, IsEnabled(cmdlet.GetVariableValue("ProgressPreference")));

    /// <summary>False for SilentlyContinue and Ignore, as an ActionPreference or as text.</summary>
    internal static bool IsEnabled(object? preference)
    {
        object? value = preference is PSObject pso ? pso.BaseObject : preference;
        return !(value is ActionPreference.SilentlyContinue or ActionPreference.Ignore
            || (value is string text && (text.Equals("SilentlyContinue", StringComparison.OrdinalIgnoreCase) || text.Equals("Ignore", StringComparison.OrdinalIgnoreCase))));
    }

    /// <summary>Blocks until <paramref name="task"/> ends and returns its result; on a reporting pipeline thread, shows <paramref name="status"/> meanwhile.</summary>
    public static T Wait<T>(Task<T> task, string status)
    {
        Watch(task, status);
        return task.GetAwaiter().GetResult();
    }

    /// <summary>Blocks until <paramref name="task"/> ends (rethrowing its exception); on a reporting pipeline thread, shows <paramref name="status"/> meanwhile.</summary>
    public static void Wait(Task task, string status)
    {
        Watch(task, status);
        task.GetAwaiter().GetResult();
    }

    private static void Watch(Task task, string status)
    {
        ProgressReporter? reporter = t_current;
        if (reporter is null || !reporter._enabled || task.IsCompleted)
        {
            return;
        }

        reporter.Poll(task, status);
    }

    private void Poll(Task task, string status)
    {
        long start = Stopwatch.GetTimestamp();
        WaitHandle done = ((IAsyncResult)task).AsyncWaitHandle;
        bool shownHere = false;
        while (!done.WaitOne(s_poll))
        {
            TimeSpan waited = Stopwatch.GetElapsedTime(start);
            if (waited < s_showAfter)
            {
                continue;
            }

            _cmdlet.WriteProgress(new ProgressRecord(ActivityId, _activity, $"{status} ({waited.TotalSeconds:0} s)"));
            _shown = true;
            shownHere = true;
        }

        if (shownHere)
        {
            // The next step shows its own status; this one is over.
            _cmdlet.WriteProgress(new ProgressRecord(ActivityId, _activity, status + " (done)"));
        }
    }

    /// <summary>Ends the activity (when anything was shown) and restores the reporter of an outer cmdlet, if any.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (ReferenceEquals(t_current, this))
        {
            t_current = _previous;
        }

        if (_shown)
        {
            try
            {
                _cmdlet.WriteProgress(new ProgressRecord(ActivityId, _activity, "Done") { RecordType = ProgressRecordType.Completed });
            }
            catch (PipelineStoppedException)
            {
                // Stopped (Ctrl+C): the host clears the progress itself.
            }
            catch (InvalidOperationException)
            {
                // Disposed after the pipeline ended: nothing to clear.
            }
        }
    }
}
