using System;
using System.Management.Automation;
using System.Threading;
using SecureConnect.Common;
using SecureConnect.Ssh.KnownHosts;
using SecureConnect.Ssh.Tunnels;
using SecureConnect.Workspace;

namespace SecureConnect.Commands;

/// <summary>
/// Base of every SecureConnect cmdlet: resolves the workspace of this invocation, owns the cancellation token
/// that StopProcessing (Ctrl+C, Select-Object -First) cancels, and turns service failures into error records
/// with stable ids.
/// </summary>
public abstract class SecureConnectCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();
    private WorkspaceStore? _store;
    private bool _disposed;

    /// <summary>Cancelled when the pipeline is stopped.</summary>
    protected CancellationToken CancelToken => _cancellation.Token;

    /// <summary>The same token, for services the cmdlet hands itself to.</summary>
    internal CancellationToken Cancel => _cancellation.Token;

    /// <summary>
    /// The workspace that SECURECONNECT_HOME names for this invocation; a relative name starts at PowerShell's current
    /// location ($PWD), which Set-Location changes without changing the process's current directory.
    /// </summary>
    internal WorkspaceStore Store => _store ??= WorkspaceStore.Current(SessionState.Path.CurrentFileSystemLocation.ProviderPath);

    /// <inheritdoc/>
    protected override void BeginProcessing()
    {
        // Background tunnels report what happened to them (lost connections, refused forwards) here, on the
        // pipeline thread of the next SecureConnect command, so no error raised on another thread is lost.
        foreach (string message in TunnelRegistry.DrainMessages())
        {
            WriteWarning(message);
        }
    }

    /// <inheritdoc/>
    protected override void StopProcessing()
    {
        _cancellation.Cancel();
    }

    /// <summary>
    /// A path parameter as a file-system path (relative to $PWD, "~" and PowerShell drives resolved), or
    /// <paramref name="notFoundId"/> when it cannot name a file: a drive that does not exist ('x:/key'), another
    /// provider, a NUL. The provider's own exceptions would not carry the id a runbook catches.
    /// </summary>
    internal string ResolveFilePath(string path, string notFoundId, string what)
    {
        string? problem = null;
        Exception? inner = null;
        string resolved = string.Empty;
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            problem = "it holds a NUL character";
        }
        else
        {
            try
            {
                resolved = GetUnresolvedProviderPathFromPSPath(path);
            }
            catch (Exception e) when (e is ItemNotFoundException or DriveNotFoundException or ProviderNotFoundException or ProviderInvocationException or NotSupportedException or PSArgumentException or ArgumentException or PSInvalidOperationException)
            {
                problem = e.Message;
                inner = e;
            }
        }

        if (problem is not null)
        {
            throw new SecureConnectException(
                notFoundId,
                ErrorKind.ObjectNotFound,
                $"The {what} '{InputText.Visible(path)}' does not name a file: {problem} Give the path of a file (relative paths start at the current location).",
                path,
                inner);
        }

        return resolved;
    }

    /// <summary>
    /// Warns about each line of the workspace's known_hosts that is not a key line, naming the file and the line
    /// (ssh ignores such a line too; it is kept as it is, so the warning is how the user learns of it). Called by the
    /// commands that read known_hosts: the known-host cmdlets, and every command about to connect through a bastion.
    /// </summary>
    internal void WarnAboutKnownHosts(KnownHostsFile? file = null)
    {
        file ??= new KnownHostsStore(Store).Read();
        foreach (KnownHostsParseWarning warning in file.Warnings)
        {
            WriteWarning(warning.Message);
        }
    }

    /// <summary>The known_hosts warnings, when <paramref name="plan"/> connects through a bastion.</summary>
    internal void WarnAboutKnownHostsFor(Sql.ConnectionPlan plan)
    {
        if (plan.Tunnel is not null)
        {
            WarnAboutKnownHosts();
        }
    }

    /// <summary>Writes a Verbose line; services call it through a delegate.</summary>
    internal void Verbose(string message) => WriteVerbose(message);

    /// <summary>Throws a terminating error for a service failure.</summary>
    internal void ThrowTerminating(SecureConnectException error)
    {
        ThrowTerminatingError(ToErrorRecord(error));
    }

    /// <summary>Throws a terminating error built from its parts.</summary>
    internal void ThrowTerminating(string errorId, ErrorKind kind, string message, object? target = null, Exception? inner = null)
    {
        ThrowTerminating(new SecureConnectException(errorId, kind, message, target, inner));
    }

    /// <summary>Writes a non-terminating error for a service failure.</summary>
    internal void WriteError(SecureConnectException error)
    {
        WriteError(ToErrorRecord(error));
    }

    /// <summary>Converts a failure into an error record whose id is public contract.</summary>
    internal static ErrorRecord ToErrorRecord(SecureConnectException error)
    {
        var record = new ErrorRecord(error, error.ErrorId, ToCategory(error.Kind), error.Target);
        return record;
    }

    /// <summary>Releases the cancellation source.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the cmdlet holds; runs even when the pipeline was stopped.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed)
        {
            return;
        }

        if (disposing)
        {
            _cancellation.Dispose();
        }

        _disposed = true;
    }

    private static ErrorCategory ToCategory(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        ErrorKind.InvalidData => ErrorCategory.InvalidData,
        ErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        ErrorKind.ResourceExists => ErrorCategory.ResourceExists,
        ErrorKind.ResourceBusy => ErrorCategory.ResourceBusy,
        ErrorKind.SecurityError => ErrorCategory.SecurityError,
        ErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        ErrorKind.AuthenticationError => ErrorCategory.AuthenticationError,
        ErrorKind.OperationTimeout => ErrorCategory.OperationTimeout,
        ErrorKind.ConnectionError => ErrorCategory.ConnectionError,
        ErrorKind.WriteError => ErrorCategory.WriteError,
        ErrorKind.ReadError => ErrorCategory.ReadError,
        ErrorKind.NotInstalled => ErrorCategory.NotInstalled,
        ErrorKind.InvalidOperation => ErrorCategory.InvalidOperation,
        _ => ErrorCategory.NotSpecified,
    };
}
