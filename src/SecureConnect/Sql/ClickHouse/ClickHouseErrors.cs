using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using SecureConnect.Common;
using SecureConnect.Sql.Http;

namespace SecureConnect.Sql.ClickHouse;

/// <summary>An error the server answered instead of a result (a status other than 200).</summary>
internal sealed class ClickHouseHttpException : Exception
{
    public ClickHouseHttpException(HttpStatusCode status, int code, string serverMessage)
        : base(serverMessage)
    {
        Status = status;
        Code = code;
        ServerMessage = serverMessage;
    }

    public HttpStatusCode Status { get; }

    public int Code { get; }

    public string ServerMessage { get; }
}

/// <summary>ClickHouse's error texts and codes, read and mapped to the common ids.</summary>
internal static class ClickHouseErrors
{
    /// <summary>UNKNOWN_USER, WRONG_PASSWORD, REQUIRED_PASSWORD, IP_ADDRESS_NOT_ALLOWED, AUTHENTICATION_FAILED.</summary>
    private static readonly int[] s_authentication = { 192, 193, 194, 195, 516 };

    private static readonly Regex s_code = new(@"Code: (?<code>\d+)[,.] ", RegexOptions.CultureInvariant);

    // 18.x-20.x: "Code: 62, e.displayText() = DB::Exception: <message>, e.what() = DB::Exception"
    // 21.x and later: "Code: 62. DB::Exception: <message>. (SYNTAX_ERROR) (version 23.8.1.1)"
    private const string MessageStart = "DB::Exception: ";
    private const string OldMessageEnd = ", e.what() = DB::Exception";

    /// <summary>Reads a refusal's body (at most 64 KiB) into an exception with the server's code and message.</summary>
    public static ClickHouseHttpException Read(HttpResponseMessage response, CancellationToken cancel)
    {
        string text;
        try
        {
            using Stream body = response.Content.ReadAsStream(cancel);
            var buffer = new byte[64 * 1024];
            int total = 0;
            int read;
            while (total < buffer.Length && (read = body.Read(buffer, total, buffer.Length - total)) > 0)
            {
                total += read;
            }

            text = Encoding.UTF8.GetString(buffer, 0, total);
        }
        catch (IOException e)
        {
            text = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase} (the body could not be read: {e.Message})";
        }

        int code = response.Headers.TryGetValues("X-ClickHouse-Exception-Code", out var values)
            && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out int header)
            ? header
            : CodeOf(text);
        return new ClickHouseHttpException(response.StatusCode, code, string.IsNullOrWhiteSpace(text) ? $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}" : Clean(text));
    }

    public static int CodeOf(string text)
    {
        Match match = s_code.Match(text);
        return match.Success && int.TryParse(match.Groups["code"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int code) ? code : 0;
    }

    /// <summary>The server's message without the wrapping: "Code: 62, e.displayText() = DB::Exception: X, e.what() = DB::Exception" is X.</summary>
    public static string Clean(string text)
    {
        // Plain string search, not a regular expression: the text is the server's and may be 256 KiB long, and a lazy
        // match up to "\s*$" tried at every position took quadratic time on a long run of spaces (fuzzing found it).
        text = text.Trim();
        int start = text.IndexOf(MessageStart, StringComparison.Ordinal);
        if (start < 0)
        {
            return text;
        }

        string message = text[(start + MessageStart.Length)..].TrimEnd();
        if (message.EndsWith(OldMessageEnd, StringComparison.Ordinal))
        {
            message = message[..^OldMessageEnd.Length];
        }

        return message.Trim();
    }

    public static bool IsAuthentication(ClickHouseHttpException e) =>
        e.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden || Array.IndexOf(s_authentication, e.Code) >= 0;

    /// <summary>A failure while opening (the probe request): certificate, TLS, login, or the connection.</summary>
    public static ClassifiedError ClassifyOpen(Exception error, SslMode mode, TlsObserver observer, int port)
    {
        if (observer.Failure is not null)
        {
            return new ClassifiedError(ErrorIds.SslCertificateInvalid, ErrorKind.SecurityError, observer.Failure);
        }

        if (Find<TlsNotSpokenException>(error) is { } noTls && mode >= SslMode.Required)
        {
            return new ClassifiedError(ErrorIds.SslNotAvailable, ErrorKind.SecurityError, $"the server does not speak TLS on port {port}: {noTls.Message}");
        }

        if (Find<ClickHouseHttpException>(error) is { } refused)
        {
            string text = $"Code {refused.Code}: {refused.ServerMessage}";
            return IsAuthentication(refused)
                ? new ClassifiedError(ErrorIds.DatabaseAuthenticationFailed, ErrorKind.AuthenticationError, text)
                : new ClassifiedError(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, text);
        }

        if (Find<TimeoutException>(error) is not null || error is OperationCanceledException)
        {
            return new ClassifiedError(ErrorIds.ConnectionFailed, ErrorKind.OperationTimeout, "the connection timed out");
        }

        return new ClassifiedError(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, DriverErrors.Innermost(error));
    }

    /// <summary>A query the server refused or failed, with its code and message, and how much of it came.</summary>
    public static SecureConnectException QueryFailed(string name, int code, string message, long rowsDelivered, Exception inner)
    {
        string after = rowsDelivered > 0
            ? $" The server reported it after {rowsDelivered} {(rowsDelivered == 1 ? "row" : "rows")} had been delivered: the result is incomplete, discard what was written from it."
            : string.Empty;
        return new SecureConnectException(ErrorIds.QueryFailed, ErrorKind.InvalidOperation, $"The query on '{name}' failed: Code {code}: {message}.{after}", name, inner);
    }

    public static T? Find<T>(Exception? error)
        where T : Exception => DriverErrors.Find<T>(error);
}
