package io.pgtrickle.cdc.pgoutput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ValueConverterTest {

  @Test
  void integersAndExactNumbers() {
    assertThat(ValueConverter.convert(21, "-32768")).isEqualTo(-32768L);
    assertThat(ValueConverter.convert(23, "2147483647")).isEqualTo(2147483647L);
    assertThat(ValueConverter.convert(20, "-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
    assertThat(ValueConverter.convert(1700, "100.00")).isEqualTo(new BigDecimal("100.00"));
    String digits = "1234567890".repeat(30) + ".5";
    assertThat(ValueConverter.convert(1700, digits)).isEqualTo(new BigDecimal(digits));
    assertThat(ValueConverter.convert(1700, "NaN")).isEqualTo("NaN");
    assertThat(ValueConverter.convert(701, "-Infinity")).isEqualTo("-Infinity");
    assertThat(ValueConverter.convert(701, "1e+300")).isEqualTo(new BigDecimal("1e+300"));
    // Negative zero keeps its sign (as text, like NaN); a plain zero is a number.
    assertThat(ValueConverter.convert(701, "-0")).isEqualTo("-0");
    assertThat(ValueConverter.convert(700, "-0")).isEqualTo("-0");
    assertThat(ValueConverter.convert(701, "0")).isEqualTo(BigDecimal.ZERO);
    assertThat(ValueConverter.convert(1022, "{-0,0,-1.5}"))
        .isEqualTo(List.of("-0", BigDecimal.ZERO, new BigDecimal("-1.5")));
    assertThat(ValueConverter.convert(16, "t")).isEqualTo(true);
    assertThat(ValueConverter.convert(16, "f")).isEqualTo(false);
  }

  @Test
  void timesAreIso8601() {
    assertThat(ValueConverter.convert(1114, "2026-05-30 12:00:00.123456"))
        .isEqualTo("2026-05-30T12:00:00.123456");
    assertThat(ValueConverter.convert(1184, "2026-05-30 14:00:00.5+02"))
        .isEqualTo("2026-05-30T12:00:00.500Z");
    assertThat(ValueConverter.convert(1184, "1900-01-01 00:00:00+00:53:28"))
        .isEqualTo("1899-12-31T23:06:32Z");
    assertThat(ValueConverter.convert(1184, "infinity")).isEqualTo("infinity");
    assertThat(ValueConverter.convert(1114, "0044-03-15 12:00:00 BC"))
        .isEqualTo("0044-03-15 12:00:00 BC");
    assertThat(ValueConverter.convert(1082, "2026-05-30")).isEqualTo("2026-05-30");
  }

  @Test
  void jsonIsItsTextExactly() {
    // Text, not parsed: a JSON null is not SQL NULL, json keeps its whitespace, key order and
    // duplicate keys, a jsonb[] its null elements.
    String doc = "{\"a\": [1, 2.50, \"x\", null, true], \"b\": {\"c\": 123456789012345678901234}}";
    assertThat(ValueConverter.convert(3802, doc)).isEqualTo(doc);
    assertThat(ValueConverter.convert(3802, "null")).isEqualTo("null");
    assertThat(ValueConverter.convert(114, " {\"b\": 1,  \"a\": 2, \"a\": 3} "))
        .isEqualTo(" {\"b\": 1,  \"a\": 2, \"a\": 3} ");
    assertThat(ValueConverter.convert(114, "\"just a string\"")).isEqualTo("\"just a string\"");
    assertThat(ValueConverter.convert(3807, "{null,NULL}")).isEqualTo("{null,NULL}");
    assertThat(ValueConverter.convert(199, "{\"{}\"}")).isEqualTo("{\"{}\"}");
  }

  @Test
  void jsonAndUserDefinedTypesMakeEventsJsonText() {
    assertThat(List.of(114, 3802, 199, 3807, 16384, 90000)).allMatch(ValueConverter::jsonText);
    assertThat(List.of(16, 17, 20, 23, 25, 1700, 1009, 3904)).noneMatch(ValueConverter::jsonText);
  }

  @Test
  void byteaIsBase64FromEitherOutputFormat() {
    assertThat(ValueConverter.convert(17, "\\x00ff10")).isEqualTo("AP8Q");
    assertThat(ValueConverter.convert(17, "a\\\\\\001")).isEqualTo("YVwB");
    assertThat(ValueConverter.convert(17, "\\x")).isEqualTo("");
  }

  @Test
  void arraysBecomeLists() {
    assertThat(ValueConverter.convert(1007, "{1,2,NULL,-4}"))
        .isEqualTo(Arrays.asList(1L, 2L, null, -4L));
    assertThat(
            ValueConverter.convert(
                1009, "{plain,\"with space\",\"q\\\"uote\",\"NULL\",NULL,\"a,b\"}"))
        .isEqualTo(Arrays.asList("plain", "with space", "q\"uote", "NULL", null, "a,b"));
    assertThat(ValueConverter.convert(1007, "{{1,2},{3,4}}"))
        .isEqualTo(List.of(List.of(1L, 2L), List.of(3L, 4L)));
    assertThat(ValueConverter.convert(1007, "[0:1]={5,6}")).isEqualTo(List.of(5L, 6L));
    assertThat(ValueConverter.convert(1231, "{1.50,NaN}"))
        .isEqualTo(List.of(new BigDecimal("1.50"), "NaN"));
    assertThat(ValueConverter.convert(1007, "{}")).isEqualTo(List.of());
    assertThat(ValueConverter.convert(1185, "{\"2026-05-30 12:00:00+00\"}"))
        .isEqualTo(List.of("2026-05-30T12:00:00Z"));
  }

  @Test
  void otherTypesStayText() {
    assertThat(ValueConverter.convert(2950, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))
        .isEqualTo("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    assertThat(ValueConverter.convert(1186, "1 day 02:00:00")).isEqualTo("1 day 02:00:00");
    assertThat(ValueConverter.convert(99999, "{a,b}"))
        .as("unknown types, even array-looking")
        .isEqualTo("{a,b}");
    assertThatThrownBy(() -> ValueConverter.convert(23, "x"))
        .isInstanceOf(PgOutputException.class)
        .hasMessageContaining("type 23");
  }
}
