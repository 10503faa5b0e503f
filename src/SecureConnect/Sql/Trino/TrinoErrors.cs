using System;
using System.Net;
using SecureConnect.Common;
using SecureConnect.Sql.Http;

namespace SecureConnect.Sql.Trino;

/// <summary>Trino's failures mapped to the common ids.</summary>
internal static class TrinoErrors
{
    /// <summary>A failure while opening (GET /v1/info): certificate, TLS, the coordinator's answer, or the connection.</summary>
    public static ClassifiedError ClassifyOpen(Exception error, SslMode mode, TlsObserver observer, int port)
    {
        if (observer.Failure is not null)
        {
            return new ClassifiedError(ErrorIds.SslCertificateInvalid, ErrorKind.SecurityError, observer.Failure);
        }

        if (DriverErrors.Find<TlsNotSpokenException>(error) is { } noTls && mode >= SslMode.Required)
        {
            return new ClassifiedError(ErrorIds.SslNotAvailable, ErrorKind.SecurityError, $"the server does not speak TLS on port {port}: {noTls.Message}");
        }

        if (DriverErrors.Find<TrinoHttpException>(error) is { } refused)
        {
            return refused.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                ? new ClassifiedError(ErrorIds.DatabaseAuthenticationFailed, ErrorKind.AuthenticationError, refused.Message)
                : new ClassifiedError(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, $"GET /v1/info was answered {refused.Message} (is this a Trino coordinator?)");
        }

        if (DriverErrors.Find<TrinoProtocolException>(error) is { } protocol)
        {
            return new ClassifiedError(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, protocol.Message);
        }

        if (DriverErrors.Find<TimeoutException>(error) is not null || error is OperationCanceledException)
        {
            return new ClassifiedError(ErrorIds.ConnectionFailed, ErrorKind.OperationTimeout, "the connection timed out");
        }

        return new ClassifiedError(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, DriverErrors.Innermost(error));
    }

    /// <summary>A query the coordinator failed, with Trino's error name, code and type.</summary>
    public static SecureConnectException QueryFailed(string name, TrinoQueryException e, long rowsDelivered) =>
        new(ErrorIds.QueryFailed, ErrorKind.InvalidOperation, $"The query on '{name}' failed: {e.ErrorName} ({e.ErrorCode}, {e.ErrorType}): {e.ServerMessage}{After(rowsDelivered)}", name, e);

    /// <summary>An answer that breaks the protocol or points outside the integration.</summary>
    public static SecureConnectException Protocol(string name, TrinoProtocolException e, long rowsDelivered) =>
        new(ErrorIds.QueryFailed, ErrorKind.InvalidData, $"The result of the query on '{name}' could not be read: {e.Message}. The query was cancelled on the coordinator.{After(rowsDelivered)}", name, e);

    /// <summary>The coordinator refused the request (a status other than 200 after the retries).</summary>
    public static SecureConnectException Refused(string name, TrinoHttpException e, long rowsDelivered) => e.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
        ? new(ErrorIds.DatabaseAuthenticationFailed, ErrorKind.AuthenticationError, $"Trino refused the login for '{name}': {e.Message}. Check the user name and password (-Credential).", name, e)
        : new(ErrorIds.QueryFailed, ErrorKind.InvalidOperation, $"The query on '{name}' failed: the coordinator answered {e.Message}.{After(rowsDelivered)}", name, e);

    /// <summary>A result the coordinator ended without FINISHED: never a complete result.</summary>
    public static SecureConnectException Incomplete(string name, TrinoIncompleteException e, long rowsDelivered)
    {
        string rows = rowsDelivered == 1 ? "1 row" : $"{rowsDelivered} rows";
        return new(ErrorIds.QueryInterrupted, ErrorKind.ConnectionError, $"The result of the query on '{name}' ended incomplete after {rows}: {e.Message}. Discard what was written from it and run the query again.", name, e);
    }

    private static string After(long rowsDelivered) => rowsDelivered > 0
        ? $" It came after {rowsDelivered} {(rowsDelivered == 1 ? "row" : "rows")} had been delivered: the result is incomplete, discard what was written from it."
        : string.Empty;
}
