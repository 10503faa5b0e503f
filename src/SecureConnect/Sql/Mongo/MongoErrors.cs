using System;
using System.IO;
using System.Net.Sockets;
using System.Security.Authentication;
using MongoDB.Bson;
using MongoDB.Driver;
using SecureConnect.Common;

namespace SecureConnect.Sql.Mongo;

/// <summary>The driver's exceptions mapped to the common ids.</summary>
internal static class MongoErrors
{
    /// <summary>AuthenticationFailed.</summary>
    public const int AuthenticationFailedCode = 18;

    /// <summary>
    /// The server does not speak TLS: the handshake ended (EOF, a reset, the stream closed) before any certificate
    /// reached the observer. A certificate that was refused, a refused connection or a timeout is never that.
    /// </summary>
    public static bool IsNoTls(Exception? error, TlsObserver observer)
    {
        if (error is null || observer.HandshakeSeen || observer.Failure is not null)
        {
            return false;
        }

        bool closed = false;
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case TimeoutException or OperationCanceledException:
                case SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.HostUnreachable or SocketError.NetworkUnreachable }:
                case MongoAuthenticationException or MongoCommandException:
                    return false;
                case AuthenticationException or IOException:
                    closed = true;
                    break;
            }
        }

        return closed;
    }

    /// <summary>A failure while opening: certificate, TLS, login, or the connection.</summary>
    public static ClassifiedError ClassifyOpen(Exception error, SslMode mode, TlsObserver observer, bool tlsAttempt, int port)
    {
        if (observer.Failure is not null)
        {
            return new ClassifiedError(ErrorIds.SslCertificateInvalid, ErrorKind.SecurityError, observer.Failure);
        }

        if (tlsAttempt && mode >= SslMode.Required && IsNoTls(error, observer))
        {
            return new ClassifiedError(ErrorIds.SslNotAvailable, ErrorKind.SecurityError, $"the server on port {port} closed the connection at the TLS handshake, before sending a certificate: it does not speak TLS ({DriverErrors.Innermost(error)})");
        }

        if (DriverErrors.Find<MongoAuthenticationException>(error) is { } login)
        {
            return new ClassifiedError(ErrorIds.DatabaseAuthenticationFailed, ErrorKind.AuthenticationError, Innermost(login));
        }

        if (DriverErrors.Find<MongoCommandException>(error) is { } refused)
        {
            return refused.Code == AuthenticationFailedCode
                ? new ClassifiedError(ErrorIds.DatabaseAuthenticationFailed, ErrorKind.AuthenticationError, Describe(refused))
                : new ClassifiedError(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, Describe(refused));
        }

        if (DriverErrors.Find<TimeoutException>(error) is { } timeout)
        {
            return new ClassifiedError(ErrorIds.ConnectionFailed, ErrorKind.OperationTimeout, "the connection timed out: " + timeout.Message);
        }

        if (error is OperationCanceledException)
        {
            return new ClassifiedError(ErrorIds.ConnectionFailed, ErrorKind.OperationTimeout, "the connection timed out");
        }

        return new ClassifiedError(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, DriverErrors.Innermost(error));
    }

    /// <summary>A server's refusal of a command, with its code, code name and message.</summary>
    public static string Describe(MongoCommandException e)
    {
        string codeName = string.IsNullOrEmpty(e.CodeName) ? string.Empty : $" ({e.CodeName})";
        string message = string.IsNullOrEmpty(e.ErrorMessage) ? e.Message : e.ErrorMessage;
        return $"Code {e.Code}{codeName}: {message}";
    }

    /// <summary>A command that failed on the server, as QueryFailed, with how much of its result came.</summary>
    public static SecureConnectException QueryFailed(string name, MongoServerException e, long rowsDelivered)
    {
        string text = e switch
        {
            MongoCommandException command => Describe(command),
            MongoExecutionTimeoutException timeout => $"Code {timeout.Code} (MaxTimeMSExpired): {timeout.Message}",
            _ => e.Message,
        };
        string after = rowsDelivered > 0
            ? $" The server reported it after {rowsDelivered} {(rowsDelivered == 1 ? "document" : "documents")} had been delivered: the result is incomplete, discard what was written from it."
            : string.Empty;
        ErrorKind kind = e is MongoExecutionTimeoutException ? ErrorKind.OperationTimeout : ErrorKind.InvalidOperation;
        return new SecureConnectException(ErrorIds.QueryFailed, kind, $"The query on '{name}' failed: {text}.{after}", name, e);
    }

    /// <summary>A reply with ok: 1 that still reports failed writes (writeErrors, writeConcernError).</summary>
    public static SecureConnectException? WriteFailed(string name, BsonDocument reply)
    {
        BsonDocument? first = reply.TryGetValue("writeErrors", out BsonValue errors) && errors is BsonArray { Count: > 0 } list && list[0] is BsonDocument d
            ? d
            : reply.TryGetValue("writeConcernError", out BsonValue concern) && concern is BsonDocument c ? c : null;
        if (first is null)
        {
            return null;
        }

        int code = first.TryGetValue("code", out BsonValue c1) && c1.IsNumeric ? c1.ToInt32() : 0;
        string codeName = first.TryGetValue("codeName", out BsonValue n) && n.IsString ? $" ({n.AsString})" : string.Empty;
        string message = first.TryGetValue("errmsg", out BsonValue m) && m.IsString ? m.AsString : first.ToJson();
        int count = errors is BsonArray all ? all.Count : 1;
        return new SecureConnectException(
            ErrorIds.QueryFailed,
            ErrorKind.InvalidOperation,
            $"The command on '{name}' reported {count} failed {(count == 1 ? "write" : "writes")}; the first: Code {code}{codeName}: {message}. Writes before it may have taken effect.",
            name);
    }

    private static string Innermost(Exception e) => DriverErrors.Find<MongoCommandException>(e) is { } command ? Describe(command) : DriverErrors.Innermost(e);
}
