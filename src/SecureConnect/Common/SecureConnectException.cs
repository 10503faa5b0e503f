using System;

namespace SecureConnect.Common;

/// <summary>
/// What kind of failure an error is. Services use it instead of PowerShell's ErrorCategory so they stay
/// testable without PowerShell; the cmdlet layer maps it.
/// </summary>
internal enum ErrorKind
{
    InvalidArgument,
    InvalidData,
    ObjectNotFound,
    ResourceExists,
    ResourceBusy,
    SecurityError,
    PermissionDenied,
    AuthenticationError,
    OperationTimeout,
    ConnectionError,
    WriteError,
    ReadError,
    NotInstalled,
    InvalidOperation,
}

/// <summary>
/// A failure with a stable error id (public contract: tests and runbooks match on it) and a message that
/// says what happened, to what, and what to do next. Messages never hold secrets.
/// </summary>
internal class SecureConnectException : Exception
{
    public SecureConnectException(string errorId, ErrorKind kind, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
    }

    /// <summary>The stable error id, e.g. <c>WorkspaceKeyExists</c>.</summary>
    public string ErrorId { get; }

    /// <summary>The kind of failure.</summary>
    public ErrorKind Kind { get; }

    /// <summary>The thing that failed (a path, a name), for the error record's target object.</summary>
    public object? Target { get; }
}
