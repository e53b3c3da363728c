// NoSec (Security Mode 3): plain CoAP over UDP. It binds no identity to an endpoint name, so the
// agent takes the Register's ep as given. Operators use it on trusted links and in tests.
#include <lwm2m-gateway/security_mode_plugin.h>

namespace {

class NoSecPlugin final : public lwm2mgw::SecurityModePlugin {
public:
    explicit NoSecPlugin(lwm2mgw::PluginHost* host) : host_(host) {}

    std::string_view name() const override { return "nosec"; }
    lwm2mgw::SecurityMode mode() const override { return lwm2mgw::SecurityMode::NoSec; }

    bool selfCheck(std::string&) override { return true; }

    coap_endpoint_t* openListener(coap_context_t* context, const coap_address_t& address,
                                  std::string& error) override {
        coap_endpoint_t* endpoint = coap_new_endpoint(context, &address, COAP_PROTO_UDP);
        if (!endpoint) {
            error = "cannot listen for CoAP on UDP (address in use or not local?)";
        }
        return endpoint;
    }

    bool admitPeer(coap_session_t*, std::string&) override { return true; }

    std::optional<std::string> boundEndpoint(coap_session_t*) override { return std::nullopt; }

    coap_session_t* openClientSession(coap_context_t* context, const coap_address_t& server,
                                      const lwm2mgw::SecurityInstance& security,
                                      std::string& error) override {
        if (security.mode != lwm2mgw::SecurityMode::NoSec) {
            error = "the nosec plugin serves Security Mode 3 (NoSec) only";
            return nullptr;
        }
        coap_session_t* session =
            coap_new_client_session(context, nullptr, &server, COAP_PROTO_UDP);
        if (!session) {
            error = "cannot open a UDP socket towards the server";
            host_->log(lwm2mgw::LogLevel::Warning, "nosec: " + error);
        }
        return session;
    }

private:
    lwm2mgw::PluginHost* host_;
};

}  // namespace

LWM2MGW_DECLARE_SECURITY_MODE_PLUGIN(NoSecPlugin)
