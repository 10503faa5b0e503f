using System;
using System.Net.Sockets;
using System.Threading;
using SecureConnect.Common;

namespace SecureConnect.Sql.Http;

/// <summary>
/// Preferred's fallback to plain HTTP, the same for every engine that serves HTTPS and HTTP on ports of their own
/// (ClickHouse, Trino): when a TLS port counts as not speaking TLS, and how the plaintext port is reached.
/// </summary>
internal static class PlainFallbacks
{
    /// <summary>
    /// The TLS port does not speak TLS: it answered in plain HTTP or closed without a word, or (when the plaintext port
    /// is another one) refused the connection. A certificate failure or a timeout is never a reason to fall back.
    /// </summary>
    public static bool IsNoTls(Exception? error, bool otherPort)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is TlsNotSpokenException)
            {
                return true;
            }

            if (otherPort && e is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The route to the plaintext port (a tunnel of its own may start now); a failure says why TLS was left.</summary>
    public static HttpRoute Connect(ConnectionTarget target, PlainFallback fallback, Exception why, CancellationToken cancel)
    {
        ConnectionRoute route;
        try
        {
            route = fallback.Connect(cancel);
        }
        catch (SecureConnectException e)
        {
            throw new EngineOpenException(new ClassifiedError(e.ErrorId, e.Kind, $"the TLS port {target.Plan.Port} does not speak TLS ({DriverErrors.Innermost(why)}), and the plaintext port {fallback.Port} could not be reached: {e.Message}"), e);
        }

        return new HttpRoute(route.Host, route.Port, Tls: false, fallback.Port, route.Via);
    }
}
