using SecureConnect.Common;
using Xunit;

namespace SecureConnect.Tests.Common;

public sealed class CommandTextTests
{
    [Theory]
    [InlineData("orders", "orders")]
    [InlineData("pg-prod.eu_1", "pg-prod.eu_1")]
    [InlineData("My SSH tunnel", "'My SSH tunnel'")]
    [InlineData("O'Brien db", "'O''Brien db'")]
    [InlineData("a;b", "'a;b'")]
    [InlineData("", "''")]
    public void Argument_IsBareOnlyWhenItIsOneWord(string name, string expected) => Assert.Equal(expected, CommandText.Argument(name));
}
