using System;
using System.Management.Automation;
using System.Threading;
using SecureConnect.Common;
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
