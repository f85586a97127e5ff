package dev.sluice.dag;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SecretsTest {
    @Test
    void masksARegisteredSecretAndItsUrlEncodedForms() {
        Secrets.register("dsl test/p@ss");

        assertThat(Secrets.none()).isFalse();
        assertThat(Secrets.mask("password dsl test/p@ss, in a URI dsl+test%2Fp%40ss or dsl%20test%2Fp%40ss"))
                .isEqualTo("password ****, in a URI **** or ****");
        assertThat(Secrets.appearsIn("user:dsl+test%2Fp%40ss@host")).isTrue();
        assertThat(Secrets.appearsIn("nothing secret here")).isFalse();
    }

    @Test
    void masksALongerSecretWholeWhenItHoldsAShorterOne() {
        Secrets.register("dsl-short");
        Secrets.register("dsl-short-and-longer");

        assertThat(Secrets.mask("a dsl-short-and-longer b dsl-short")).isEqualTo("a **** b ****");
    }

    @Test
    void ignoresValuesTooShortToMask() {
        Secrets.register("");
        Secrets.register("ab");

        assertThat(Secrets.mask("a tab, a lab")).isEqualTo("a tab, a lab");
    }
}
