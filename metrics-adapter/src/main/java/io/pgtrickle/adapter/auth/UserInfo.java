package io.pgtrickle.adapter.auth;

import java.util.List;
import java.util.Map;

/**
 * Who a request is made for, as Kubernetes' {@code user.Info}.
 *
 * @param name the user name
 * @param groups the groups, {@code system:authenticated} included
 * @param extra extra attributes (from {@code X-Remote-Extra-*}), keys lower-case and unescaped
 */
public record UserInfo(String name, List<String> groups, Map<String, List<String>> extra) {}
