using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;

namespace SecureConnect.Tests.MongoDouble;

/// <summary>
/// The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) for the one user the double knows. The server keeps only
/// what a server stores: salt, iteration count, StoredKey = H(HMAC(SaltedPassword, "Client Key")) and
/// ServerKey = HMAC(SaltedPassword, "Server Key"). The password is used as given (an ASCII password is its own
/// SASLprep form, which is all the tests use).
/// </summary>
internal sealed class ScramSha256Server
{
    public const string Mechanism = "SCRAM-SHA-256";
    public const int Iterations = 15000; // the server's default scramSHA256IterationCount

    private readonly byte[] _salt = RandomNumberGenerator.GetBytes(28);
    private readonly byte[] _storedKey;
    private readonly byte[] _serverKey;

    public ScramSha256Server(string user, string password)
    {
        User = user;
        byte[] salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), _salt, Iterations, HashAlgorithmName.SHA256, 32);
        _storedKey = SHA256.HashData(HMACSHA256.HashData(salted, "Client Key"u8));
        _serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
    }

    public string User { get; }

    /// <summary>One authentication attempt on one connection.</summary>
    public sealed class Conversation
    {
        private readonly ScramSha256Server _server;
        private string _clientFirstBare = "";
        private string _serverFirst = "";
        private string _nonce = "";
        private string _gs2Header = "";

        public Conversation(ScramSha256Server server) => _server = server;

        public bool Done { get; private set; }

        /// <summary>client-first-message → server-first-message; false when the user is not the double's user.</summary>
        public bool TryStart(byte[] clientFirst, out byte[] serverFirst)
        {
            serverFirst = Array.Empty<byte>();
            string message = Encoding.UTF8.GetString(clientFirst);
            // gs2-header ("n,," without channel binding) then client-first-message-bare ("n=user,r=nonce").
            int second = message.IndexOf(',', message.IndexOf(',') + 1);
            if (second < 0) return false;
            _gs2Header = message[..(second + 1)];
            _clientFirstBare = message[(second + 1)..];
            var attributes = Attributes(_clientFirstBare);
            if (!attributes.TryGetValue('n', out string? user) || !attributes.TryGetValue('r', out string? clientNonce)) return false;
            user = user.Replace("=2C", ",", StringComparison.Ordinal).Replace("=3D", "=", StringComparison.Ordinal);
            if (user != _server.User) return false;

            _nonce = clientNonce + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
            _serverFirst = $"r={_nonce},s={Convert.ToBase64String(_server._salt)},i={Iterations}";
            serverFirst = Encoding.UTF8.GetBytes(_serverFirst);
            return true;
        }

        /// <summary>client-final-message → server-final-message; false when the proof is wrong (a wrong password).</summary>
        public bool TryFinish(byte[] clientFinal, out byte[] serverFinal)
        {
            serverFinal = Array.Empty<byte>();
            string message = Encoding.UTF8.GetString(clientFinal);
            int proofAt = message.LastIndexOf(",p=", StringComparison.Ordinal);
            if (proofAt < 0 || _serverFirst.Length == 0) return false;
            string withoutProof = message[..proofAt];
            var attributes = Attributes(withoutProof);
            if (attributes.GetValueOrDefault('r') != _nonce) return false;
            if (attributes.GetValueOrDefault('c') != Convert.ToBase64String(Encoding.UTF8.GetBytes(_gs2Header))) return false;

            byte[] proof;
            try { proof = Convert.FromBase64String(message[(proofAt + 3)..]); }
            catch (FormatException) { return false; }
            byte[] authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{_serverFirst},{withoutProof}");
            byte[] clientSignature = HMACSHA256.HashData(_server._storedKey, authMessage);
            if (proof.Length != clientSignature.Length) return false;
            var clientKey = new byte[proof.Length];
            for (int i = 0; i < proof.Length; i++) clientKey[i] = (byte)(proof[i] ^ clientSignature[i]);
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(clientKey), _server._storedKey)) return false;

            byte[] serverSignature = HMACSHA256.HashData(_server._serverKey, authMessage);
            serverFinal = Encoding.UTF8.GetBytes("v=" + Convert.ToBase64String(serverSignature));
            Done = true;
            return true;
        }

        private static Dictionary<char, string> Attributes(string message)
        {
            var result = new Dictionary<char, string>();
            foreach (string part in message.Split(','))
            {
                if (part.Length >= 2 && part[1] == '=') result.TryAdd(part[0], part[2..]);
            }
            return result;
        }
    }
}
