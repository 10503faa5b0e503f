using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;
using Grpc.Core;
using SecureConnect.Common;

namespace SecureConnect.Sql.Dremio;

/// <summary>gRPC failures of a Flight connection mapped to the common ids.</summary>
internal static class DremioErrors
{
    /// <summary>
    /// The exception and its causes, into a gRPC status's debug exception (where Grpc.Net.Client keeps the transport's
    /// failure: the RpcException itself has no inner exception).
    /// </summary>
    public static IEnumerable<Exception> Causes(Exception? error)
    {
        for (Exception? e = error; e is not null; e = e is RpcException rpc ? rpc.Status.DebugException : e.InnerException)
        {
            yield return e;
        }
    }

    /// <summary>The status came from the server (not from the client's transport: a broken or refused connection).</summary>
    public static bool FromServer(RpcException e) => e.Status.DebugException is null && e.StatusCode != StatusCode.Cancelled;

    /// <summary>
    /// The server does not speak TLS: the handshake failed before any certificate reached the observer (the server
    /// closed the connection, or answered in HTTP/2 frames). A refused certificate, a refused connection or a timeout
    /// is never that.
    /// </summary>
    public static bool IsNoTls(Exception? error, TlsObserver observer)
    {
        if (error is null || observer.HandshakeSeen || observer.Failure is not null)
        {
            return false;
        }

        bool tlsFailed = false;
        foreach (Exception e in Causes(error))
        {
            switch (e)
            {
                case TimeoutException or OperationCanceledException:
                case SocketException:
                case RpcException { StatusCode: StatusCode.DeadlineExceeded }:
                    return false;
                case HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError }:
                case AuthenticationException:
                    tlsFailed = true;
                    break;
            }
        }

        return tlsFailed;
    }

    /// <summary>A failure while opening: certificate, TLS, login, or the connection.</summary>
    public static ClassifiedError ClassifyOpen(Exception error, SslMode mode, TlsObserver observer, bool tlsAttempt, int port, int connectTimeoutSeconds)
    {
        if (observer.Failure is not null)
        {
            return new ClassifiedError(ErrorIds.SslCertificateInvalid, ErrorKind.SecurityError, observer.Failure);
        }

        if (tlsAttempt && mode >= SslMode.Required && IsNoTls(error, observer))
        {
            return new ClassifiedError(ErrorIds.SslNotAvailable, ErrorKind.SecurityError, $"the server on port {port} failed the TLS handshake before sending a certificate: it does not speak TLS ({Describe(error)})");
        }

        if (error is RpcException { StatusCode: StatusCode.Unauthenticated } refused && FromServer(refused))
        {
            return new ClassifiedError(ErrorIds.DatabaseAuthenticationFailed, ErrorKind.AuthenticationError, Describe(refused));
        }

        foreach (Exception e in Causes(error))
        {
            if (e is TimeoutException or OperationCanceledException or RpcException { StatusCode: StatusCode.DeadlineExceeded })
            {
                return new ClassifiedError(ErrorIds.ConnectionFailed, ErrorKind.OperationTimeout, $"the connection and login did not finish within {connectTimeoutSeconds} s ({Describe(error)})");
            }
        }

        return new ClassifiedError(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, Describe(error));
    }

    /// <summary>A query the server refused or failed, with its status and message, and how much of it came.</summary>
    public static SecureConnectException QueryFailed(string name, RpcException e, long rowsDelivered)
    {
        string after = rowsDelivered > 0
            ? $" The server reported it after {rowsDelivered} {(rowsDelivered == 1 ? "row" : "rows")} had been delivered: the result is incomplete, discard what was written from it."
            : string.Empty;
        return new SecureConnectException(ErrorIds.QueryFailed, ErrorKind.InvalidOperation, $"The query on '{name}' failed: {e.StatusCode}: {e.Status.Detail}.{after}", name, e);
    }

    /// <summary>A gRPC failure in words: the server's status and message, or the transport's innermost cause.</summary>
    public static string Describe(Exception error)
    {
        if (error is RpcException rpc)
        {
            // A failure of the client's own transport is its cause; the status code it was given says nothing more.
            return rpc.Status.DebugException is { } debug
                ? DriverErrors.Innermost(debug)
                : $"{rpc.StatusCode}: {rpc.Status.Detail}";
        }

        return DriverErrors.Innermost(error);
    }

    /// <summary>The connection broke (not a status the server sent): reset, closed, unreachable.</summary>
    public static bool IsInterruption(Exception e) =>
        e is RpcException rpc ? !FromServer(rpc) && rpc.StatusCode != StatusCode.Cancelled : e is IOException or HttpRequestException or ObjectDisposedException;
}
