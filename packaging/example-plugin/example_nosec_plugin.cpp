// An example security-mode plugin: NoSec (plain CoAP over UDP) under a name of its own, to show
// what a third-party plugin needs: one class, one macro, the installed SDK header.
#include <lwm2m-gateway/security_mode_plugin.h>

namespace {

class ExampleNoSecPlugin final : public lwm2mgw::SecurityModePlugin {
public:
    explicit ExampleNoSecPlugin(lwm2mgw::PluginHost* host) : host_(host) {}

    std::string_view name() const override { return "example-nosec"; }
    lwm2mgw::SecurityMode mode() const override { return lwm2mgw::SecurityMode::NoSec; }

    bool selfCheck(std::string&) override {
        host_->log(lwm2mgw::LogLevel::Info, "example-nosec: ready");
        return true;
    }

    coap_endpoint_t* openListener(coap_context_t* context, const coap_address_t& address,
                                  std::string& error) override {
        coap_endpoint_t* endpoint = coap_new_endpoint(context, &address, COAP_PROTO_UDP);
        if (!endpoint) {
            error = "example-nosec: cannot listen on UDP";
        }
        return endpoint;
    }

    // No transport security: every peer is admitted and no endpoint name is bound.
    bool admitPeer(coap_session_t*, std::string&) override { return true; }
    std::optional<std::string> boundEndpoint(coap_session_t*) override { return std::nullopt; }

    coap_session_t* openClientSession(coap_context_t* context, const coap_address_t& server,
                                      const lwm2mgw::SecurityInstance& security,
                                      std::string& error) override {
        if (security.mode != lwm2mgw::SecurityMode::NoSec) {
            error = "example-nosec serves Security Mode 3 (NoSec) only";
            return nullptr;
        }
        coap_session_t* session =
            coap_new_client_session(context, nullptr, &server, COAP_PROTO_UDP);
        if (!session) {
            error = "example-nosec: cannot open a UDP socket";
        }
        return session;
    }

private:
    lwm2mgw::PluginHost* host_;
};

}  // namespace

LWM2MGW_DECLARE_SECURITY_MODE_PLUGIN(ExampleNoSecPlugin)
